// One self-contained HTML file (`--report-html`) a QA engineer attaches to a
// bug report: the summary, the verdict table, every finding with its
// requests and responses, why anything could not be tested, and a timeline
// of every concurrent burst drawn as inline SVG. No script, no external
// resource of any kind; everything that came from the run is HTML-escaped.
import type { AttackResult, RunResult } from '../model/results.js';
import { evidenceRecord, type BodyRecord, type EvidenceRecord, type ExchangeRecord } from './evidence.js';
import { outline, runSize, usedAttacks, type Located } from './outline.js';
import { plural as count } from '../model/text.js';
import { isPlainObject } from '../model/values.js';

export const HTML_BODY_LIMIT = 16 * 1024;
/** Exchanges shown per finding; the JSON report has all of them. */
const HTML_MAX_EXCHANGES = 50;
/** Exchanges per finding shown expanded. */
const HTML_OPEN_EXCHANGES = 2;

export interface HtmlOptions {
  /** Shown in the footer, e.g. { name: 'idemchaos', version: '0.1.0' }. */
  tool?: { name: string; version: string };
}

/** One point of a concurrent burst, as `metrics.timeline` records it (ms from the first release). */
export interface TimelinePoint {
  request: number;
  status: number;
  releasedMs: number;
  firstByteMs?: number;
  endedMs?: number;
}

export function htmlReport(result: RunResult, options: HtmlOptions = {}): string {
  const { attacks, findings, errored, broken, outcome, headline } = outline(result);
  const concurrent = attacks.filter((l) => l.a.attack === 'concurrent' && l.a.verdict !== 'skip');
  const sum = result.summary;
  const icon = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️' }[outcome];

  // Anchors: the table links to the first finding of an attack and to its timeline.
  const findingId = new Map<AttackResult, string>();
  findings.forEach(({ a }, i) => {
    if (!findingId.has(a)) findingId.set(a, `finding-${i + 1}`);
  });
  const errorId = new Map<AttackResult, string>(errored.map(({ a }, i) => [a, `could-not-test-${i + 1}`]));
  const timelineId = new Map<AttackResult, string>(concurrent.map(({ a }, i) => [a, `timeline-${i + 1}`]));

  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Belt and braces: even a bug in our escaping could neither run script nor load anything.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`idemchaos: ${headline}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header class="outcome outcome-${outcome}">`,
    `<h1>${icon} idemchaos: ${esc(headline)}</h1>`,
    `<p class="counts">${esc(`${runSize(sum)}:`)} ` +
      `<span class="v-pass">${sum.passed} passed</span>, <span class="v-fail">${sum.failed} failed</span>, ` +
      `<span class="v-error">${sum.errored} could not test</span>, <span class="v-skip">${sum.skipped} skipped</span></p>`,
    `<p class="meta">started ${esc(result.startedAt)} · ${esc((result.durationMs / 1000).toFixed(1))} s</p>`,
    '</header>',
    '<main>',
  );

  // Verdict table
  const used = usedAttacks(result);
  parts.push('<section id="verdicts">', '<h2>Verdicts</h2>');
  if (result.scenarios.length === 0) parts.push('<p>No scenario ran.</p>');
  else {
    parts.push('<table class="verdicts">', `<thead><tr><th scope="col">scenario</th>${used.map((id) => `<th scope="col">${esc(id)}</th>`).join('')}</tr></thead>`, '<tbody>');
    for (const s of result.scenarios) {
      const cells = used.map((id) => {
        const a = s.attacks.find((x) => x.attack === id);
        if (!a) return '<td class="none"></td>';
        const attrs = `class="v-${a.verdict}" data-verdict="${a.verdict}" data-attack="${esc(id)}"`;
        const title = a.reason ? ` title="${esc(a.reason)}"` : '';
        switch (a.verdict) {
          case 'fail':
            return `<td ${attrs}><a href="#${findingId.get(a)}">❌ ${a.findings.map((f) => esc(f.kind)).join('<br>')}</a></td>`;
          case 'error':
            return `<td ${attrs}${title}><a href="#${errorId.get(a)}">⚠️ could not test</a></td>`;
          case 'skip':
            return `<td ${attrs}${title}>⏭️ skip</td>`;
          case 'pass':
            return `<td ${attrs}${title}>✅ pass</td>`;
        }
      });
      const where = `<div class="dim">${esc(s.file)}:${s.line} → ${esc(s.target)}</div>`;
      parts.push(`<tr><th scope="row">${esc(s.name)}${where}</th>${cells.join('')}</tr>`);
    }
    parts.push('</tbody>', '</table>');
  }
  parts.push('</section>');

  // Findings
  if (findings.length > 0) {
    parts.push('<section id="findings">', '<h2>Findings</h2>');
    findings.forEach(({ s, a, f }, i) => {
      const ev = evidenceRecord(f.evidence, HTML_BODY_LIMIT);
      const line = s.attackLines?.[a.attack] ?? s.line;
      parts.push(
        `<article class="finding" id="finding-${i + 1}" data-kind="${esc(f.kind)}">`,
        `<h3 class="finding-title">❌ ${esc(s.name)} › ${esc(a.attack)}: <code>${esc(f.kind)}</code></h3>`,
        `<p class="message">${esc(f.message)}</p>`,
        `<p class="where dim">${esc(`${s.file}:${line}`)} · target ${esc(s.target)}${a.responseOnly ? ' · response-only (no side-effect oracle)' : ''}` +
          `${timelineId.has(a) ? ` · <a href="#${timelineId.get(a)}">timeline</a>` : ''}</p>`,
        ...evidenceHtml(ev),
        '</article>',
      );
    });
    parts.push('</section>');
  }

  // Could not test
  if (errored.length > 0 || broken.length > 0) {
    parts.push('<section id="could-not-test">', '<h2>Could not test</h2>');
    for (const s of broken) {
      parts.push('<article class="could-not-test">', `<h3>⚠️ ${esc(s.name)}</h3>`, `<p class="reason">${esc(s.error ?? '')}</p>`, '</article>');
    }
    for (const { s, a } of errored) {
      parts.push(
        `<article class="could-not-test" id="${errorId.get(a)}">`,
        `<h3>⚠️ ${esc(s.name)} › ${esc(a.attack)}</h3>`,
        `<p class="reason">${esc(a.reason ?? 'could not test')}</p>`,
        ...(a.errorEvidence ? evidenceHtml(evidenceRecord(a.errorEvidence, HTML_BODY_LIMIT)) : []),
        '</article>',
      );
    }
    parts.push('</section>');
  }

  // Skipped, with why
  const skipped: Located[] = attacks.filter((l) => l.a.verdict === 'skip');
  if (skipped.length > 0) {
    parts.push('<section id="skipped">', '<h2>Skipped</h2>', '<ul>');
    for (const { s, a } of skipped) parts.push(`<li>⏭️ ${esc(s.name)} › ${esc(a.attack)}: ${esc(a.reason ?? 'skipped')}</li>`);
    parts.push('</ul>', '</section>');
  }

  // Timelines
  if (concurrent.length > 0) {
    parts.push('<section id="timelines">', '<h2>Concurrent timelines</h2>');
    for (const { s, a } of concurrent) {
      const bursts = burstTimelines(a.metrics);
      const requests = bursts[0]?.length ?? 0;
      const skew = typeof a.metrics.releaseSkewMs === 'number' ? `, release skew ${a.metrics.releaseSkewMs} ms` : '';
      const engine = typeof a.metrics.engine === 'string' ? `, engine ${a.metrics.engine}` : '';
      const shape = bursts.length > 1 ? `${count(bursts.length, 'burst')} of ${count(requests, 'request')}` : count(requests, 'request');
      parts.push(
        `<figure class="timeline-figure" id="${timelineId.get(a)}" data-scenario="${esc(s.name)}">`,
        `<figcaption>${esc(s.name)} › concurrent: ${esc(shape)}${esc(engine)}${esc(skew)}</figcaption>`,
      );
      if (bursts.length === 0) parts.push('<p class="dim">No timeline was recorded for this attack.</p>');
      bursts.forEach((points, i) => {
        if (bursts.length > 1) parts.push(`<h4>burst ${i + 1} of ${bursts.length}</h4>`);
        parts.push(timelineSvg(points, i + 1));
      });
      parts.push('</figure>');
    }
    parts.push('</section>');
  }

  const tool = options.tool ? `${esc(options.tool.name)} ${esc(options.tool.version)}` : 'idemchaos';
  parts.push('</main>', `<footer class="dim">Generated by ${tool}. Secrets are shown as ***. Bodies are cut at 16 KiB; the JSON report holds up to 64 KiB.</footer>`, '</body>', '</html>');
  return parts.join('\n') + '\n';
}

function evidenceHtml(ev: EvidenceRecord): string[] {
  const out: string[] = [];
  if (ev.oracle) {
    const o = ev.oracle;
    const ids = o.ids ? `; ids: ${o.ids.length ? o.ids.map((id) => `<code>${esc(id)}</code>`).join(', ') : 'none'}` : '';
    const note = o.note ? ` (${esc(o.note)})` : '';
    out.push(`<p class="oracle">oracle: <strong>${o.before}</strong> before, <strong>${o.after}</strong> after${ids}${note}</p>`);
  }
  if (ev.diff?.length) {
    out.push('<div class="diff"><h4>original → replay</h4>', `<pre>${ev.diff.map((d) => esc(d)).join('\n')}</pre>`, '</div>');
  }
  if (ev.exchanges.length > 0) {
    out.push('<div class="exchanges">');
    ev.exchanges.slice(0, HTML_MAX_EXCHANGES).forEach((e, i) => out.push(exchangeHtml(e, i < HTML_OPEN_EXCHANGES)));
    if (ev.exchanges.length > HTML_MAX_EXCHANGES) {
      out.push(`<p class="dim">… and ${ev.exchanges.length - HTML_MAX_EXCHANGES} more exchanges (all of them are in the JSON report)</p>`);
    }
    out.push('</div>');
  }
  return out;
}

function exchangeHtml(e: ExchangeRecord, open: boolean): string {
  const status = e.response ? `<span class="status ${statusClass(e.response.status)}">${e.response.status}</span>` : '<span class="status st-none">no response</span>';
  const took = e.durationMs !== undefined ? ` <span class="dim">${esc(e.durationMs.toFixed(1))} ms</span>` : '';
  const lines = [
    `<details class="exchange"${open ? ' open' : ''}>`,
    `<summary><span class="label">${esc(e.label)}</span> <code>${esc(e.request.method)} ${esc(e.request.url)}</code> → ${status}${took}</summary>`,
    '<div class="exchange-body">',
    '<div class="request"><h4>Request</h4>',
    `<pre class="headers">${esc(`${e.request.method} ${e.request.url}`)}${headerLines(e.request.headers)}</pre>`,
  ];
  if (e.request.body) lines.push(bodyHtml(e.request.body));
  lines.push('</div>');
  if (e.response) {
    lines.push(
      '<div class="response"><h4>Response</h4>',
      `<pre class="headers">${esc(`HTTP ${e.response.status}`)}${headerLines(e.response.headers)}</pre>`,
      bodyHtml(e.response.body),
      '</div>',
    );
  }
  if (e.error) lines.push(`<p class="exchange-error">✖ ${esc(e.error)}</p>`);
  const times = [`started ${e.startedAt}`];
  if (e.sentAt) times.push(`sent ${e.sentAt}`);
  if (e.firstByteAt) times.push(`first byte ${e.firstByteAt}`);
  if (e.endedAt) times.push(`ended ${e.endedAt}`);
  lines.push(`<p class="times dim">${esc(times.join(' · '))}</p>`, '</div>', '</details>');
  return lines.join('\n');
}

function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `\n${esc(k)}: ${esc(v)}`)
    .join('');
}

function bodyHtml(b: BodyRecord): string {
  if (!b.text) return '<p class="dim">(empty body)</p>';
  const binary = b.encoding === 'base64' ? '<p class="dim">binary body, shown as base64</p>' : '';
  const cut = b.truncated ? `<p class="dim">… ${b.truncated.shownBytes} of ${b.truncated.totalBytes} bytes shown</p>` : '';
  return `${binary}<pre class="body">${esc(b.text)}</pre>${cut}`;
}

/**
 * The bursts of a concurrent attack: `metrics.timelines` (one timeline per
 * burst) when recorded, else the single `metrics.timeline`. Empty bursts are left out.
 */
export function burstTimelines(metrics: Record<string, unknown>): TimelinePoint[][] {
  const many = Array.isArray(metrics.timelines) ? (metrics.timelines as unknown[]).map(timelinePoints) : [];
  const bursts = many.length > 0 ? many : [timelinePoints(metrics.timeline)];
  return bursts.filter((b) => b.length > 0);
}

/** `metrics.timeline` as drawn: malformed points are left out rather than trusted. */
export function timelinePoints(value: unknown): TimelinePoint[] {
  if (!Array.isArray(value)) return [];
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const out: TimelinePoint[] = [];
  for (const p of value as unknown[]) {
    if (!isPlainObject(p)) continue;
    const r = p;
    if (!num(r.request) || !num(r.status) || !num(r.releasedMs)) continue;
    const point: TimelinePoint = { request: r.request, status: r.status, releasedMs: r.releasedMs };
    if (num(r.firstByteMs)) point.firstByteMs = r.firstByteMs;
    if (num(r.endedMs)) point.endedMs = r.endedMs;
    out.push(point);
  }
  return out;
}

const STATUS_COLOURS: Record<string, string> = {
  'st-2xx': '#2e7d32',
  'st-3xx': '#1565c0',
  'st-409': '#f9a825',
  'st-4xx': '#ef6c00',
  'st-5xx': '#c62828',
  'st-none': '#757575',
};

function statusClass(status: number): string {
  if (status === 409) return 'st-409';
  if (status >= 200 && status < 300) return 'st-2xx';
  if (status >= 300 && status < 400) return 'st-3xx';
  if (status >= 400 && status < 500) return 'st-4xx';
  if (status >= 500 && status < 600) return 'st-5xx';
  return 'st-none';
}

/**
 * One row per request: a diamond at its release, a thin line while waiting,
 * a bar from first response byte to end, coloured by status; an axis in ms.
 */
function timelineSvg(points: TimelinePoint[], burst: number): string {
  const left = 104;
  const right = 20;
  const top = 10;
  const width = 820;
  const plotW = width - left - right;
  const rowH = points.length > 100 ? 6 : points.length > 40 ? 9 : 16;
  const plotH = points.length * rowH;
  const axisY = top + plotH + 6;
  const legendY = axisY + 40;
  const height = legendY + 16;

  const latest = Math.max(...points.flatMap((p) => [p.releasedMs, p.firstByteMs ?? 0, p.endedMs ?? 0]));
  const { max, step } = axisScale(latest);
  const x = (ms: number) => left + (Math.max(0, ms) / max) * plotW;
  const f = (n: number) => String(Math.round(n * 100) / 100);

  const out: string[] = [
    `<svg class="timeline" data-burst="${burst}" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="10">`,
    `<title>Concurrent burst: ${points.length} requests over ${esc(f(latest))} ms</title>`,
  ];
  // Grid and axis
  out.push('<g class="axis">');
  for (let t = 0; t <= max + step / 1000; t += step) {
    const tx = f(x(t));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}" stroke="#555"/>`);
    out.push(`<text x="${tx}" y="${axisY + 15}" text-anchor="middle" fill="#333">${esc(f(t))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#555"/>`);
  out.push(`<text class="axis-label" x="${left + plotW / 2}" y="${axisY + 30}" text-anchor="middle" fill="#333">ms after the first release</text>`);
  out.push('</g>');

  // Rows
  out.push('<g class="rows">');
  points.forEach((p, i) => {
    const cy = top + i * rowH + rowH / 2;
    const cls = statusClass(p.status);
    const colour = STATUS_COLOURS[cls];
    const label = p.status === 0 ? 'no response' : String(p.status);
    const tip = [`request ${p.request}: ${label}`, `released ${f(p.releasedMs)} ms`];
    if (p.firstByteMs !== undefined) tip.push(`first byte ${f(p.firstByteMs)} ms`);
    if (p.endedMs !== undefined) tip.push(`ended ${f(p.endedMs)} ms`);
    const row = [`<g class="tl-row ${cls}" data-request="${p.request}" data-status="${p.status}">`, `<title>${esc(tip.join(', '))}</title>`];
    if (rowH >= 9) row.push(`<text x="${left - 12}" y="${f(cy + 3.5)}" text-anchor="end" fill="#333">#${p.request} ${esc(label)}</text>`);
    const waitEnd = p.firstByteMs ?? p.endedMs;
    if (waitEnd !== undefined) {
      row.push(`<line class="tl-wait" x1="${f(x(p.releasedMs))}" y1="${f(cy)}" x2="${f(x(waitEnd))}" y2="${f(cy)}" stroke="${colour}" stroke-width="1" stroke-dasharray="2 2"/>`);
    }
    if (p.firstByteMs !== undefined && p.endedMs !== undefined) {
      const bx = x(p.firstByteMs);
      const bw = Math.max(2, x(p.endedMs) - bx);
      row.push(`<rect class="tl-bar" x="${f(bx)}" y="${f(cy - rowH * 0.3)}" width="${f(bw)}" height="${f(rowH * 0.6)}" fill="${colour}"/>`);
    }
    const r = Math.max(2, rowH * 0.3);
    const mx = x(p.releasedMs);
    row.push(`<path class="tl-release" d="M${f(mx)} ${f(cy - r)}L${f(mx + r)} ${f(cy)}L${f(mx)} ${f(cy + r)}L${f(mx - r)} ${f(cy)}Z" fill="#fff" stroke="${colour}" stroke-width="1.5"/>`);
    row.push('</g>');
    out.push(row.join(''));
  });
  out.push('</g>');

  // Legend: the statuses present, with counts
  const byClass = new Map<string, Map<string, number>>();
  for (const p of points) {
    const cls = statusClass(p.status);
    const label = p.status === 0 ? 'no response' : String(p.status);
    const m = byClass.get(cls) ?? new Map<string, number>();
    m.set(label, (m.get(label) ?? 0) + 1);
    byClass.set(cls, m);
  }
  let lx = left;
  out.push('<g class="legend">');
  out.push(`<path d="M${lx + 4} ${legendY - 8}L${lx + 8} ${legendY - 4}L${lx + 4} ${legendY}L${lx} ${legendY - 4}Z" fill="#fff" stroke="#555"/>`);
  out.push(`<text x="${lx + 12}" y="${legendY}" fill="#333">released</text>`);
  lx += 70;
  for (const [cls, labels] of byClass) {
    for (const [label, n] of labels) {
      out.push(`<rect x="${lx}" y="${legendY - 9}" width="14" height="9" fill="${STATUS_COLOURS[cls]}"/>`);
      const text = `${label} ×${n}`;
      out.push(`<text x="${lx + 18}" y="${legendY}" fill="#333">${esc(text)}</text>`);
      lx += 28 + text.length * 6;
    }
  }
  out.push('</g>', '</svg>');
  return out.join('\n');
}

/** A round axis end and a tick step (1, 2 or 5 × 10ⁿ) giving 4 to 10 ticks. */
function axisScale(latest: number): { max: number; step: number } {
  const span = latest > 0 ? latest : 1;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 8) ?? 10 * mag;
  return { max: Math.ceil(span / step - 1e-9) * step, step };
}

/** Text and attribute values alike. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
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
.v-pass { color: #2e7d32; } .v-fail { color: #c62828; font-weight: 600; } .v-error { color: #b35c00; } .v-skip { color: #6b6b6b; }
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
`.trim();
