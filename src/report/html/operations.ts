// A proxy session in the HTML report: the session line, a verdict per
// operation, and each operation's attempts on a timeline (one row per
// attempt, from its arrival to the moment the proxy was done with it,
// coloured by what the client got), with the attempts' details below it.
import type { ProxyAttempt, ProxyOperation, ProxySession } from '../../model/proxy.js';
import { plural } from '../../model/text.js';
import { attemptOutcome, attemptsCell, keyShown, keysCell, sessionLine } from '../proxy.js';
import { axisScale, svgNum } from './axis.js';
import { esc } from './escape.js';
import { icon } from './icons.js';
import { STATUS_COLOURS, statusClass } from './style.js';

/** The "Operations" section; `findingAnchor` links an operation to its first finding. */
export function operationsSection(p: ProxySession, findingAnchor: (op: ProxyOperation) => string | undefined): string[] {
  const parts = ['<section id="operations">', '<h2>Operations</h2>', `<p class="meta">${esc(sessionLine(p))}</p>`];
  if (p.operations.length === 0) {
    parts.push('<p>No operation under audit came through the proxy.</p>', '</section>');
    return parts;
  }
  parts.push(
    '<table class="verdicts operations">',
    '<thead><tr><th scope="col">#</th><th scope="col">operation</th><th scope="col">keys</th><th scope="col">attempts</th><th scope="col">verdict</th></tr></thead>',
    '<tbody>',
  );
  for (const op of p.operations) {
    const anchor = findingAnchor(op);
    const verdict =
      op.verdict === 'fail'
        ? `<a href="#${anchor}">${icon('fail')} ${op.findings.map((f) => esc(f.kind)).join('<br>')}</a>`
        : op.verdict === 'error'
          ? `${icon('error')} could not test${op.note ? `<div class="dim">${esc(op.note)}</div>` : ''}`
          : `${icon('pass')} pass${op.note ? `<div class="dim">${esc(op.note)}</div>` : ''}`;
    parts.push(
      `<tr data-operation="${op.id}"><th scope="row"><a href="#operation-${op.id}">${op.id}</a></th><td><code>${esc(`${op.method} ${op.path}`)}</code></td>` +
        `<td><code>${esc(keysCell(op))}</code></td><td>${esc(attemptsCell(op))}</td><td class="v-${op.verdict}" data-verdict="${op.verdict}">${verdict}</td></tr>`,
    );
  }
  parts.push('</tbody>', '</table>');
  for (const op of p.operations) parts.push(...operationFigure(op));
  parts.push('</section>');
  return parts;
}

function operationFigure(op: ProxyOperation): string[] {
  const out = [
    `<figure class="timeline-figure" id="operation-${op.id}" data-operation="${op.id}">`,
    `<figcaption>#${op.id} ${esc(`${op.method} ${op.path}`)}: ${esc(plural(op.attempts.length, 'attempt'))}</figcaption>`,
    attemptsSvg(op),
    '<table class="attempts">',
    '<thead><tr><th>attempt</th><th>at</th><th>key</th><th>what happened</th><th>headers changed</th></tr></thead>',
    '<tbody>',
  ];
  const t0 = op.attempts[0]!.at;
  op.attempts.forEach((a, i) => {
    out.push(
      `<tr data-seq="${a.seq}"><td>${i + 1}</td><td>+${esc(svgNum(a.at - t0))} ms</td><td><code>${esc(keyShown(a.key))}</code></td>` +
        `<td>${esc(attemptOutcome(a))}</td><td>${esc((a.headersChanged ?? []).join(', '))}</td></tr>`,
    );
  });
  out.push('</tbody>', '</table>', '</figure>');
  return out;
}

/** The colour class of what the client got: its status, or none (reset, gave up). */
function outcomeClass(a: ProxyAttempt): string {
  return a.client.kind === 'answer' ? statusClass(a.client.status) : 'st-none';
}

/** One row per attempt: a bar from arrival to end, a label with the attempt's key and fault, over a time axis. */
export function attemptsSvg(op: ProxyOperation): string {
  const left = 150;
  const right = 20;
  const top = 10;
  const width = 820;
  const plotW = width - left - right;
  const rowH = 18;
  const plotH = op.attempts.length * rowH;
  const axisY = top + plotH + 6;
  const height = axisY + 36;
  const t0 = op.attempts[0]!.at;
  const latest = Math.max(...op.attempts.map((a) => a.endedAt - t0));
  const scale = axisScale(latest);
  const x = (ms: number) => left + (Math.max(0, ms) / scale.max) * plotW;
  const f = svgNum;
  const out = [
    `<svg class="timeline attempts-timeline" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="10">`,
    `<title>${esc(`operation #${op.id}: ${op.attempts.length} attempts over ${f(latest)} ms`)}</title>`,
    '<g class="axis">',
  ];
  for (let t = 0; t <= scale.max + scale.step / 1000; t += scale.step) {
    const tx = f(x(t));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${tx}" y="${axisY + 14}" text-anchor="middle" fill="#333">${esc(f(t))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#555"/>`);
  out.push(`<text x="${left + plotW / 2}" y="${axisY + 28}" text-anchor="middle" fill="#333">ms after the first attempt</text>`, '</g>');
  out.push('<g class="rows">');
  op.attempts.forEach((a, i) => {
    const cy = top + i * rowH + rowH / 2;
    const cls = outcomeClass(a);
    const colour = STATUS_COLOURS[cls];
    const start = a.at - t0;
    const end = a.endedAt - t0;
    const tip = `attempt ${i + 1}: ${keyShown(a.key)}; ${attemptOutcome(a)}; +${f(start)} ms to +${f(end)} ms`;
    const label = `${i + 1}${a.fault && a.fault !== 'none' ? ` ${a.fault}` : ''}`;
    out.push(
      `<g class="tl-row ${cls}" data-attempt="${i + 1}"><title>${esc(tip)}</title>` +
        `<text x="${left - 8}" y="${f(cy + 3.5)}" text-anchor="end" fill="#333">${esc(label)}</text>` +
        `<rect class="tl-bar" x="${f(x(start))}" y="${f(cy - rowH * 0.3)}" width="${f(Math.max(2, x(end) - x(start)))}" height="${f(rowH * 0.6)}" fill="${colour}"/>` +
        '</g>',
    );
  });
  out.push('</g>', '</svg>');
  return out.join('\n');
}
