// Positioned messages about scenario files, and their Hurl/rustc-style rendering.
import { IdemchaosError } from '../model/errors.js';

export interface ScenarioMessage {
  file: string;
  /** 1-based; 0 when the message is about the file as a whole. */
  line: number;
  /** 1-based. */
  col: number;
  /** Column just past the marked text (exclusive), on the same line; absent marks one column. */
  endCol?: number;
  message: string;
  severity: 'error' | 'warning';
}

/** Every error of every file, thrown once; nothing is half-loaded. */
export class ScenarioError extends IdemchaosError {
  readonly messages: ScenarioMessage[];
  /** Warnings found alongside, so they can still be shown. */
  readonly warnings: ScenarioMessage[];
  /** Each file's text, for formatMessages. */
  readonly sources: Map<string, string>;

  constructor(messages: ScenarioMessage[], warnings: ScenarioMessage[] = [], sources: Map<string, string> = new Map()) {
    const files = new Set(messages.map((m) => m.file)).size;
    const n = messages.length;
    super('usage', `${n} error${n === 1 ? '' : 's'} in ${files} scenario file${files === 1 ? '' : 's'}`);
    this.messages = messages;
    this.warnings = warnings;
    this.sources = sources;
  }
}

/**
 * ```
 * error: unknown key 'reqests'; did you mean 'requests'?
 *   --> scenarios/orders.yaml:14:5
 *    |
 * 14 |     reqests: 20
 *    |     ^^^^^^^
 * ```
 */
export function formatMessage(msg: ScenarioMessage, sourceText?: string | readonly string[]): string {
  const head = `${msg.severity}: ${msg.message}`;
  if (msg.line < 1) return `${head}\n  --> ${msg.file}`;
  const number = String(msg.line);
  const pad = ' '.repeat(number.length);
  const out = [head, `${pad}--> ${msg.file}:${msg.line}:${msg.col}`];
  const lines = typeof sourceText === 'string' ? sourceLines(sourceText) : sourceText;
  const line = lines?.[msg.line - 1];
  if (line === undefined) return out.join('\n');
  const { text, at, width } = excerpt(line, msg.col - 1, Math.max(1, (msg.endCol ?? msg.col + 1) - msg.col));
  // Keep tabs so the carets line up under the text whatever the tab width.
  const lead = Array.from(text.slice(0, at), (ch) => (ch === '\t' ? '\t' : ' ')).join('');
  out.push(`${pad} |`, `${number} | ${text}`.trimEnd(), `${pad} | ${lead}${'^'.repeat(width)}`);
  return out.join('\n');
}

/** All messages, each with its source line, separated by blank lines. */
export function formatMessages(messages: ScenarioMessage[], sources: Map<string, string>): string {
  const lines = new Map<string, string[]>();
  const linesOf = (file: string): string[] | undefined => {
    const text = sources.get(file);
    if (text === undefined) return undefined;
    let split = lines.get(file);
    if (!split) lines.set(file, (split = sourceLines(text)));
    return split;
  };
  return messages.map((m) => formatMessage(m, linesOf(m.file))).join('\n\n');
}

function sourceLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Characters of a source line shown under a message: a longer line is cut to a window around the mark. */
export const EXCERPT_WIDTH = 120;
const BEFORE = 40;

/**
 * The part of `line` to show for a mark `width` long at index `at`, with the
 * mark's index and width in the part: the whole line when it is short, else
 * a window of EXCERPT_WIDTH characters from a little before the mark, '…'
 * where the line goes on.
 */
function excerpt(line: string, at: number, width: number): { text: string; at: number; width: number } {
  if (line.length <= EXCERPT_WIDTH) return { text: line, at, width };
  const start = Math.max(0, Math.min(at - BEFORE, line.length - EXCERPT_WIDTH));
  const end = Math.min(line.length, start + EXCERPT_WIDTH);
  const head = start > 0 ? '…' : '';
  const tail = end < line.length ? '…' : '';
  const shownAt = head.length + Math.max(0, at - start);
  return {
    text: `${head}${line.slice(start, end)}${tail}`,
    at: shownAt,
    width: Math.max(1, Math.min(width, head.length + (end - start) - shownAt)),
  };
}

/** Orders messages by file (in the given order), then line and column. */
export function sortMessages(messages: ScenarioMessage[], files: string[]): ScenarioMessage[] {
  const rank = new Map(files.map((f, i) => [f, i] as const));
  return [...messages].sort(
    (a, b) =>
      (rank.get(a.file) ?? files.length) - (rank.get(b.file) ?? files.length) ||
      a.line - b.line ||
      a.col - b.col,
  );
}
