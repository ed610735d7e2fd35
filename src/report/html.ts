// One self-contained HTML file (`--report-html`) a QA engineer attaches to a
// bug report: the summary, the verdict table, every finding with its
// requests and responses, why anything could not be tested, and a timeline
// of every concurrent burst drawn as inline SVG. No script, no external
// resource of any kind; everything that came from the run is HTML-escaped.
import { attackById } from '../attacks/index.js';
import { repeatRate, SEVERITY, type AttackResult, type RunResult } from '../model/results.js';
import type { ProxyOperation } from '../model/proxy.js';
import { evidenceRecord, type BodyRecord, type EvidenceRecord, type ExchangeRecord } from './evidence.js';
import { outline, runSize, usedAttacks, verdictCounts, type Located } from './outline.js';
import { oracleLine } from './oracle.js';
import { location } from '../model/text.js';
import { esc } from './html/escape.js';
import { CSS, statusClass } from './html/style.js';
import { icon } from './html/icons.js';
import { timelinesSection } from './html/timeline.js';
import { operationsSection } from './html/operations.js';

export const HTML_BODY_LIMIT = 16 * 1024;
/** Exchanges shown per finding; the JSON report has all of them. */
const HTML_MAX_EXCHANGES = 50;
/** Exchanges per finding shown expanded. */
const HTML_OPEN_EXCHANGES = 2;

export interface HtmlOptions {
  /** Shown in the footer, e.g. { name: 'idemchaos', version: '0.1.0' }. */
  tool?: { name: string; version: string };
}

export function htmlReport(result: RunResult, options: HtmlOptions = {}): string {
  const { attacks, findings, errored, broken, outcome, headline } = outline(result);
  // Attacks that release bursts record a timeline per burst.
  const concurrent = attacks.filter((l) => l.a.verdict !== 'skip' && attackById(l.a.attack)?.drawsTimelines);
  const sum = result.summary;

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
    `<h1>${icon(outcome)} idemchaos: ${esc(headline)}</h1>`,
    // Coloured by value: "0 failed" is no alarm.
    `<p class="counts">${esc(`${runSize(sum, Boolean(result.proxy))}:`)} ` +
      verdictCounts(sum)
        .map(({ verdict, n, text }) => `<span class="count${n > 0 ? ` v-${verdict}` : ' zero'}" data-verdict="${verdict}">${esc(text)}</span>`)
        .join(', ') +
      '</p>',
    `<p class="meta">started ${esc(result.startedAt)} · ${esc((result.durationMs / 1000).toFixed(1))} s</p>`,
    '</header>',
    '<main>',
  );

  // Verdict table; a proxy session shows its operations, with their attempts, instead.
  const used = usedAttacks(result);
  const proxy = result.proxy;
  // Its scenario's attacks are the operations, in the same order.
  const attackOf = (op: ProxyOperation) => result.scenarios[0]?.attacks[proxy!.operations.indexOf(op)];
  if (proxy) parts.push(...operationsSection(proxy, (op) => findingId.get(attackOf(op)!)));
  else parts.push('<section id="verdicts">', '<h2>Verdicts</h2>');
  if (!proxy && result.scenarios.length === 0) parts.push('<p>No scenario ran.</p>');
  else if (!proxy) {
    parts.push('<table class="verdicts">', `<thead><tr><th scope="col">scenario</th>${used.map((id) => `<th scope="col">${esc(id)}</th>`).join('')}</tr></thead>`, '<tbody>');
    for (const s of result.scenarios) {
      const cells = used.map((id) => {
        const a = s.attacks.find((x) => x.attack === id);
        if (!a) return '<td class="none"></td>';
        const attrs = `class="v-${a.verdict}" data-verdict="${a.verdict}" data-attack="${esc(id)}"`;
        const title = a.reason ? ` title="${esc(a.reason)}"` : '';
        const rate = repeatRate(a);
        const runs = rate ? `<div class="rate">${esc(rate)}</div>` : '';
        switch (a.verdict) {
          case 'fail':
            return `<td ${attrs}>${icon('fail')} <a href="#${findingId.get(a)}">${a.findings.map((f) => esc(f.kind)).join('<br>')}</a>${runs}</td>`;
          case 'error':
            return `<td ${attrs}${title}>${icon('error')} <a href="#${errorId.get(a)}">could not test</a>${runs}</td>`;
          case 'skip':
            return `<td ${attrs}${title}>${icon('skip')} skip</td>`;
          case 'pass':
            return `<td ${attrs}${title}>${icon('pass')} pass${runs}</td>`;
        }
      });
      const where = `<div class="dim">${esc(location(s.file, s.line))} → ${esc(s.target)}</div>`;
      parts.push(`<tr><th scope="row">${esc(s.name)}${where}</th>${cells.join('')}</tr>`);
    }
    parts.push('</tbody>', '</table>');
  }
  if (!proxy) parts.push('</section>');

  // Findings
  if (findings.length > 0) {
    parts.push('<section id="findings">', '<h2>Findings</h2>');
    findings.forEach(({ s, a, f }, i) => {
      const ev = evidenceRecord(f.evidence, HTML_BODY_LIMIT);
      const line = s.attackLines?.[a.attack] ?? s.line;
      parts.push(
        `<article class="finding" id="finding-${i + 1}" data-kind="${esc(f.kind)}">`,
        `<h3 class="finding-title">${icon('fail')} ${esc(s.name)} › ${esc(a.attack)}: <code>${esc(f.kind)}</code> <span class="severity">${SEVERITY[f.kind]}</span></h3>`,
        `<p class="message">${esc(f.message)}</p>`,
        `<p class="where dim">${esc(location(s.file, line))} · target ${esc(s.target)}${a.responseOnly ? ' · response-only (no side-effect oracle)' : ''}${repeatRate(a) ? ` · ${esc(repeatRate(a)!)}` : ''}` +
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
      parts.push('<article class="could-not-test">', `<h3>${icon('error')} ${esc(s.name)}</h3>`, `<p class="reason">${esc(s.error ?? '')}</p>`, '</article>');
    }
    for (const { s, a } of errored) {
      parts.push(
        `<article class="could-not-test" id="${errorId.get(a)}">`,
        `<h3>${icon('error')} ${esc(s.name)} › ${esc(a.attack)}</h3>`,
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
    for (const { s, a } of skipped) parts.push(`<li>${icon('skip')} ${esc(s.name)} › ${esc(a.attack)}: ${esc(a.reason ?? 'skipped')}</li>`);
    parts.push('</ul>', '</section>');
  }

  parts.push(...timelinesSection(concurrent, timelineId));

  const tool = options.tool ? `${esc(options.tool.name)} ${esc(options.tool.version)}` : 'idemchaos';
  parts.push('</main>', `<footer class="dim">Generated by ${tool}. Secrets are shown as ***. Bodies are cut at 16 KiB; the JSON report holds up to 64 KiB.</footer>`, '</body>', '</html>');
  return parts.join('\n') + '\n';
}

function evidenceHtml(ev: EvidenceRecord): string[] {
  const out: string[] = [];
  if (ev.oracle) {
    const line = oracleLine(ev.oracle, { text: esc, id: (id) => `<code>${esc(id)}</code>`, number: (n) => `<strong>${n}</strong>` });
    out.push(`<p class="oracle">${line}</p>`);
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
  if (e.error) lines.push(`<p class="exchange-error">${icon('error', 'no response')} ${esc(e.error)}</p>`);
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

