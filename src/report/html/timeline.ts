// The timeline of each concurrent burst, drawn as inline SVG: one row per
// request, from its release to its last response byte, over a time axis.
import { describeMetrics } from '../../attacks/index.js';
import type { AttackMetrics, AttackResult, TimelinePoint } from '../../model/results.js';
import { plural as count } from '../../model/text.js';
import { isPlainObject } from '../../model/values.js';
import type { Located } from '../outline.js';
import { axisScale, axisSvg, svgNum } from './axis.js';
import { esc } from './escape.js';
import { STATUS_COLOURS, statusClass } from './style.js';

/**
 * The "Concurrent timelines" section: one figure per concurrent attack, one
 * picture per burst; `ids` gives each attack's figure its anchor.
 */
export function timelinesSection(concurrent: Located[], ids: Map<AttackResult, string>): string[] {
  const parts: string[] = [];
  if (concurrent.length === 0) return parts;
  parts.push('<section id="timelines">', '<h2>Concurrent timelines</h2>');
  for (const { s, a } of concurrent) {
    const bursts = burstTimelines(a.metrics);
    const requests = bursts[0]?.length ?? 0;
    const shape = bursts.length > 1 ? `${count(bursts.length, 'burst')} of ${count(requests, 'request')}` : count(requests, 'request');
    const how = describeMetrics(a);
    parts.push(
      `<figure class="timeline-figure" id="${ids.get(a)}" data-scenario="${esc(s.name)}">`,
      `<figcaption>${esc(s.name)} › ${esc(a.attack)}: ${esc(shape)}${how ? ` (${esc(how)})` : ''}</figcaption>`,
    );
    if (bursts.length === 0) parts.push('<p class="dim">No timeline was recorded for this attack.</p>');
    bursts.forEach((points, i) => {
      if (bursts.length > 1) parts.push(`<h4>burst ${i + 1} of ${bursts.length}</h4>`);
      parts.push(timelineSvg(points, i + 1));
    });
    parts.push('</figure>');
  }
  parts.push('</section>');
  return parts;
}

/**
 * The bursts of an attack that releases them: `metrics.timelines` (one
 * timeline per burst) when recorded, else the single `metrics.timeline` of
 * older reports. Empty bursts are left out.
 */
export function burstTimelines(metrics: AttackMetrics & { timeline?: unknown }): TimelinePoint[][] {
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

/**
 * One row per request: a diamond at its release, a thin line while waiting,
 * a bar from first response byte to end, coloured by status; an axis in ms.
 */
export function timelineSvg(points: TimelinePoint[], burst: number): string {
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
  const scale = axisScale(latest);
  const x = (ms: number) => left + (Math.max(0, ms) / scale.max) * plotW;
  const f = svgNum;

  const out: string[] = [
    `<svg class="timeline" data-burst="${burst}" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="10">`,
    `<title>Concurrent burst: ${points.length} requests over ${esc(f(latest))} ms</title>`,
  ];
  out.push(...axisSvg(scale, { left, width: plotW, top, axisY }, x));

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
