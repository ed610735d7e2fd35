// The HTML report's look: its stylesheet and the colour of each status class
// (the timeline bars and the status codes in exchange summaries).

export const STATUS_COLOURS: Record<string, string> = {
  'st-2xx': '#2e7d32',
  'st-3xx': '#1565c0',
  'st-409': '#f9a825',
  'st-4xx': '#ef6c00',
  'st-5xx': '#c62828',
  'st-none': '#757575',
};

/** st-2xx, st-3xx, st-409 (in flight), st-4xx, st-5xx, st-none (no response). */
export function statusClass(status: number): string {
  if (status === 409) return 'st-409';
  if (status >= 200 && status < 300) return 'st-2xx';
  if (status >= 300 && status < 400) return 'st-3xx';
  if (status >= 400 && status < 500) return 'st-4xx';
  if (status >= 500 && status < 600) return 'st-5xx';
  return 'st-none';
}

export const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header.outcome { padding: 16px 24px; border-bottom: 4px solid; background: #fff; }
header.outcome-fail { border-color: #c62828; }
header.outcome-error { border-color: #ef6c00; }
header.outcome-pass { border-color: #2e7d32; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 0 0 6px; }
h4 { font-size: 12px; margin: 8px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
main { padding: 0 24px 24px; max-width: 1200px; }
footer { padding: 12px 24px; font-size: 12px; }
.dim { color: #6b6b6b; font-size: 12px; font-weight: normal; }
.rate { color: #555; font-size: 12px; font-weight: normal; }
.v-pass { color: #2e7d32; } .v-fail { color: #c62828; font-weight: 600; } .v-error { color: #b35c00; } .v-skip { color: #6b6b6b; }
.count.zero { color: #6b6b6b; }
svg.icon { width: 1.15em; height: 1.15em; min-width: 16px; min-height: 16px; vertical-align: -0.2em; flex: none; }
table.verdicts { border-collapse: collapse; background: #fff; }
table.verdicts th, table.verdicts td { border: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: top; }
table.verdicts thead th { background: #f0f0f0; }
table.verdicts td.v-fail { background: #fdecea; }
table.verdicts td.v-error { background: #fff4e5; }
table.verdicts td.v-pass { background: #edf7ed; }
table.verdicts a { color: inherit; }
article { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; margin: 0 0 14px; }
article.finding { border-left: 4px solid #c62828; }
article.could-not-test { border-left: 4px solid #ef6c00; }
.message, .reason { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid #e5e5e5; border-radius: 4px; padding: 8px; margin: 0 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; max-height: 480px; overflow: auto; }
.diff pre { background: #fffbe6; }
code { font: 12px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
details.exchange { border-top: 1px solid #eee; padding: 4px 0; }
details.exchange summary { cursor: pointer; }
.exchange-body { padding-left: 16px; }
.status { font-weight: 600; }
.st-2xx { color: #2e7d32; } .st-3xx { color: #1565c0; } .st-409 { color: #a67c00; } .st-4xx { color: #ef6c00; } .st-5xx { color: #c62828; } .st-none { color: #757575; }
.exchange-error { color: #c62828; }
figure.timeline-figure { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px; margin: 0 0 14px; overflow-x: auto; }
figcaption { font-weight: 600; margin-bottom: 6px; }
table.attempts { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
table.attempts th, table.attempts td { border: 1px solid #eee; padding: 2px 8px; text-align: left; vertical-align: top; }
`.trim();
