// Verdict icons as inline SVG: drawn the same with or without an emoji font
// (Debian's Chromium has none and shows emoji as empty boxes), with the
// verdict in words for screen readers.
import type { Verdict } from '../../model/results.js';
import { esc } from './escape.js';

/** The icon colours; the page's verdict colours match them. */
export const ICON_COLOURS: Record<Verdict, string> = { pass: '#2e7d32', fail: '#c62828', error: '#ef6c00', skip: '#757575' };

const SHAPES: Record<Verdict, string> = {
  // A tick in a disc.
  pass: `<circle cx="8" cy="8" r="8" fill="${ICON_COLOURS.pass}"/><path d="M4.4 8.3l2.4 2.4 4.8-5" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  // A cross in a disc.
  fail: `<circle cx="8" cy="8" r="8" fill="${ICON_COLOURS.fail}"/><path d="M5.2 5.2l5.6 5.6M10.8 5.2l-5.6 5.6" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`,
  // An exclamation mark in a triangle.
  error: `<path d="M8 .8l7.6 14H.4z" fill="${ICON_COLOURS.error}" stroke="${ICON_COLOURS.error}" stroke-width="1" stroke-linejoin="round"/><path d="M8 5.6v4.4" stroke="#fff" stroke-width="2" stroke-linecap="round"/><circle cx="8" cy="12.6" r="1.1" fill="#fff"/>`,
  // A skip-forward mark in a disc.
  skip: `<circle cx="8" cy="8" r="8" fill="${ICON_COLOURS.skip}"/><path d="M4.6 5v6l4-3zM8.6 5v6l4-3z" fill="#fff"/>`,
};

const WORDS: Record<Verdict, string> = { pass: 'pass', fail: 'fail', error: 'could not test', skip: 'skip' };

/** A 16 px icon for a verdict; `label` overrides what a screen reader says. */
export function icon(verdict: Verdict, label = WORDS[verdict]): string {
  return (
    `<svg class="icon" data-verdict="${verdict}" role="img" aria-label="${esc(label)}" viewBox="0 0 16 16" width="16" height="16" focusable="false">` +
    `${SHAPES[verdict]}</svg>`
  );
}
