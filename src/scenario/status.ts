// Status lists: exact codes (`201`) and classes (`4xx`), alone or in a list.
import type { StatusSet } from './types.js';

/** Kept in step with the `statusItem` pattern in schema/scenario.schema.json. */
const ITEM_PATTERN = /^([1-5])(\d\d|xx)$/i;

/** Compiles `[200, 201]`, `4xx`, `409` or `['2xx', 409]`; throws a message fit for the user otherwise. */
export function parseStatusSet(value: unknown): StatusSet {
  const items = Array.isArray(value) ? value : [value];
  const codes: number[] = [];
  const classes: number[] = [];
  const words: string[] = [];
  for (const item of items) {
    const parsed = parseItem(item);
    if (parsed.kind === 'code') {
      if (codes.includes(parsed.value)) continue;
      codes.push(parsed.value);
      words.push(String(parsed.value));
    } else {
      if (classes.includes(parsed.value)) continue;
      classes.push(parsed.value);
      words.push(`${parsed.value}xx`);
    }
  }
  return { text: words.length > 0 ? words.join(', ') : '(none)', codes, classes };
}

export function statusIn(set: StatusSet, code: number): boolean {
  return set.codes.includes(code) || set.classes.includes(Math.floor(code / 100));
}

/** The list as written, for messages: `200, 201`. */
export function formatStatusSet(set: StatusSet): string {
  return set.text;
}

function parseItem(item: unknown): { kind: 'code' | 'class'; value: number } {
  if (typeof item === 'number') {
    if (Number.isInteger(item) && item >= 100 && item <= 599) return { kind: 'code', value: item };
    throw new Error(`invalid status ${item}: a status code is a whole number from 100 to 599`);
  }
  if (typeof item === 'string') {
    const match = ITEM_PATTERN.exec(item);
    if (match) {
      const tail = match[2]!.toLowerCase();
      if (tail === 'xx') return { kind: 'class', value: Number(match[1]) };
      return { kind: 'code', value: Number(match[1]! + tail) };
    }
    if (/^\d+$/.test(item.trim())) {
      throw new Error(`invalid status ${item.trim()}: a status code is a whole number from 100 to 599`);
    }
    throw new Error(`invalid status '${item}': use a code such as 201 or a class from 1xx to 5xx`);
  }
  const kind =
    item === null || item === undefined ? 'nothing' : typeof item === 'boolean' ? String(item) : Array.isArray(item) ? 'a nested list' : `a ${typeof item}`;
  throw new Error(`invalid status: expected a code such as 201 or a class such as 4xx, got ${kind}`);
}
