// From a path in the parsed value (`['attacks', 'concurrent', 'requests']`) back
// to where it is written in the YAML source.
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Alias, Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';

export type Segment = string | number;

export interface Place {
  line: number;
  col: number;
  /** Exclusive; only when the marked text sits on one line. */
  endCol?: number;
}

interface Found {
  /** The deepest node reached: the value at the path, or an ancestor when the path runs out. */
  node: Node | undefined;
  /** The key of the last map step taken. */
  key: Node | undefined;
  /** Whether the whole path was resolved. */
  complete: boolean;
}

/** Splits an Ajv `instancePath` (a JSON Pointer) into segments. */
export function pointerSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** `attacks.drop.at[1]` */
export function displayPath(segments: Segment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

export class Locator {
  /** Each map's entries by key, the first of a repeated key winning: a file with many keys is found in linear time. */
  private readonly pairs = new WeakMap<YAMLMap, Map<string, Pair>>();
  /** What each alias names, found in one walk (yaml's own resolve walks the whole file per alias). */
  private aliases: Map<Alias, Node> | undefined;

  /** Where each line starts: lines end at '\n' (a '\r' before it is not shown), as yaml and formatMessage count them. */
  private readonly starts: number[] = [0];

  private readonly text: string;

  constructor(doc: Document, text: string);
  /** The older form: the LineCounter is not read, lines are counted from the text (yaml's disagreed on '\r\r\n'). */
  constructor(doc: Document, lines: LineCounter, text: string);
  constructor(
    private readonly doc: Document,
    linesOrText: LineCounter | string,
    text?: string,
  ) {
    this.text = typeof linesOrText === 'string' ? linesOrText : text!;
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** Where the value at the path is written; its key when the value is empty or spans lines. */
  value(path: Segment[]): Place {
    const found = this.find(path);
    if (found.complete && found.node && this.usable(found.node)) return this.place(found.node);
    if (found.key) return this.place(found.key);
    return found.node ? this.place(found.node) : { line: 1, col: 1 };
  }

  /** Where the key of the entry at the path is written (the value, for list items). */
  key(path: Segment[]): Place {
    const found = this.find(path);
    if (found.complete && found.key && typeof path[path.length - 1] === 'string') return this.place(found.key);
    return this.value(path);
  }

  /** The key `name` inside the map at `path`. */
  keyIn(path: Segment[], name: string): Place {
    return this.key([...path, name]);
  }

  /**
   * Characters `start`..`end` of the string at the path. Found by searching
   * the node's source for that text, so quoting and escapes are tolerated;
   * falls back to the whole value.
   */
  within(path: Segment[], start: number, end: number): Place {
    const found = this.find(path);
    const node = found.node;
    if (!found.complete || !isScalar(node) || typeof node.value !== 'string' || !node.range) return this.value(path);
    const value = node.value;
    const piece = value.slice(start, end);
    if (piece === '') return this.value(path);
    // Written as it reads (plain, or quoted without escapes): the offset is direct.
    const direct = this.verbatim(node, value);
    if (direct !== undefined) return this.span(direct + start, direct + end);
    let nth = 0;
    for (let i = value.indexOf(piece); i >= 0 && i < start; i = value.indexOf(piece, i + 1)) nth++;
    const source = this.text.slice(node.range[0], node.range[1]);
    let at = source.indexOf(piece);
    for (let k = 0; k < nth && at >= 0; k++) at = source.indexOf(piece, at + 1);
    if (at < 0) return this.value(path);
    return this.span(node.range[0] + at, node.range[0] + at + piece.length);
  }

  /**
   * 1-based line and column of a source offset range; the mark ends at the
   * end of its line, or one column past it when it starts there (where
   * something is missing).
   */
  span(from: number, to: number): Place {
    // yaml places a problem at the end of the text, or marks one past it, when something is missing there.
    const a = this.linePos(Math.max(0, Math.min(from, this.text.length)));
    const b = this.linePos(Math.max(0, Math.min(to, this.text.length + 1)));
    if (b.line !== a.line || b.col <= a.col) return { line: a.line, col: a.col };
    return { line: a.line, col: a.col, endCol: Math.min(b.col, Math.max(this.lineLength(a.line) + 1, a.col + 1)) };
  }

  /** 1-based line and column of an offset. */
  private linePos(at: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - this.starts[lo]! + 1 };
  }

  /** Characters of a line as shown, without its line break. */
  private lineLength(line: number): number {
    const start = this.starts[line - 1]!;
    const next = this.starts[line];
    if (next === undefined) return this.text.length - start;
    return next - 1 - start - (this.text[next - 2] === '\r' && next - 2 >= start ? 1 : 0);
  }

  /** The lines of each entry's key in the map at the path, in source order. */
  keyLines(path: Segment[]): Map<string, number> {
    const out = new Map<string, number>();
    const node = this.find(path).node;
    if (!isMap(node)) return out;
    for (const pair of node.items as Pair[]) {
      if (isScalar(pair.key) && pair.key.range) out.set(String(pair.key.value), this.linePos(pair.key.range[0]).line);
    }
    return out;
  }

  private find(path: Segment[]): Found {
    let node = this.resolve(this.doc.contents as Node | null);
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = this.pairIn(node, String(segment));
        if (!pair) return { node, key, complete: false };
        key = pair.key as Node;
        node = this.resolve(pair.value as Node | null);
        if (!node) return { node: undefined, key, complete: true };
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        node = this.resolve(node.items[segment] as Node | null);
        key = undefined;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }

  /** Where a string scalar's value starts in the source when the source is the value, bare or in quotes. */
  private verbatim(node: Node, value: string): number | undefined {
    const [from, to] = node.range!;
    const length = to - from;
    if (length === value.length && this.text.startsWith(value, from)) return from;
    const quote = this.text[from];
    if ((quote === '"' || quote === "'") && length >= value.length + 2 && this.text[from + value.length + 1] === quote) {
      if (this.text.startsWith(value, from + 1) && !value.includes(quote) && !(quote === '"' && value.includes('\\'))) return from + 1;
    }
    return undefined;
  }

  private pairIn(node: YAMLMap, key: string): Pair | undefined {
    let byKey = this.pairs.get(node);
    if (!byKey) {
      byKey = new Map();
      for (const pair of node.items as Pair[]) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (!byKey.has(name)) byKey.set(name, pair);
      }
      this.pairs.set(node, byKey);
    }
    return byKey.get(key);
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    if (!node) return undefined;
    if (!isAlias(node)) return node;
    if (!this.aliases) {
      // As yaml resolves them: the last node with the anchor before the alias, in document order.
      const aliases = new Map<Alias, Node>();
      const anchors = new Map<string, Node>();
      visit(this.doc, {
        Node: (_key, n) => {
          if (isAlias(n)) {
            const target = anchors.get(n.source);
            if (target) aliases.set(n, target);
          } else if (n.anchor) {
            anchors.set(n.anchor, n);
          }
        },
      });
      this.aliases = aliases;
    }
    return this.aliases.get(node) ?? node;
  }

  /** A value worth pointing at: written out, and on one line. */
  private usable(node: Node): boolean {
    if (!node.range || node.range[0] === node.range[1]) return false;
    if (isScalar(node) && node.value === null && node.range[1] - node.range[0] === 0) return false;
    return this.linePos(node.range[0]).line === this.linePos(node.range[1]).line;
  }

  private place(node: Node): Place {
    if (!node.range) return { line: 1, col: 1 };
    const [from, to] = node.range;
    const pos = this.span(from, to);
    if (pos.endCol === undefined && !this.usable(node)) return { line: pos.line, col: pos.col };
    return pos;
  }
}
