// The time axis under a timeline: a round scale, the grid, the ticks and their labels.
import { esc } from './escape.js';

export interface AxisScale {
  /** The axis end, in ms: a whole number of steps. */
  max: number;
  step: number;
}

/** A round axis end and a tick step (1, 2 or 5 × 10ⁿ) giving 4 to 10 ticks. */
export function axisScale(latest: number): AxisScale {
  const span = latest > 0 ? latest : 1;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 8) ?? 10 * mag;
  return { max: Math.ceil(span / step - 1e-9) * step, step };
}

/** A number as written into SVG attributes: at most two decimals. */
export function svgNum(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * The vertical grid line, tick and label of every step, the axis line at
 * `axisY` and its caption; `x` maps ms to the picture's x.
 */
export function axisSvg(scale: AxisScale, box: { left: number; width: number; top: number; axisY: number }, x: (ms: number) => number): string[] {
  const { left, width, top, axisY } = box;
  const out = ['<g class="axis">'];
  for (let t = 0; t <= scale.max + scale.step / 1000; t += scale.step) {
    const tx = svgNum(x(t));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}" stroke="#555"/>`);
    out.push(`<text x="${tx}" y="${axisY + 15}" text-anchor="middle" fill="#333">${esc(svgNum(t))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + width}" y2="${axisY}" stroke="#555"/>`);
  out.push(`<text class="axis-label" x="${left + width / 2}" y="${axisY + 30}" text-anchor="middle" fill="#333">ms after the first release</text>`);
  out.push('</g>');
  return out;
}
