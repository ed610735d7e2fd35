// From a path in the parsed value (`['attacks', 'concurrent', 'requests']`) back
// to where it is written in the YAML source.
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair } from 'yaml';

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
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

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
    let nth = 0;
    for (let i = value.indexOf(piece); i >= 0 && i < start; i = value.indexOf(piece, i + 1)) nth++;
    const source = this.text.slice(node.range[0], node.range[1]);
    let at = source.indexOf(piece);
    for (let k = 0; k < nth && at >= 0; k++) at = source.indexOf(piece, at + 1);
    if (at < 0) return this.value(path);
    return this.span(node.range[0] + at, node.range[0] + at + piece.length);
  }

  /** 1-based line and column of a source offset range. */
  span(from: number, to: number): Place {
    const a = this.lines.linePos(from);
    const b = this.lines.linePos(to);
    return b.line === a.line && b.col > a.col ? { line: a.line, col: a.col, endCol: b.col } : { line: a.line, col: a.col };
  }

  /** The lines of each entry's key in the map at the path, in source order. */
  keyLines(path: Segment[]): Map<string, number> {
    const out = new Map<string, number>();
    const node = this.find(path).node;
    if (!isMap(node)) return out;
    for (const pair of node.items as Pair[]) {
      if (isScalar(pair.key) && pair.key.range) out.set(String(pair.key.value), this.lines.linePos(pair.key.range[0]).line);
    }
    return out;
  }

  private find(path: Segment[]): Found {
    let node = this.resolve(this.doc.contents as Node | null);
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
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

  private resolve(node: Node | null | undefined): Node | undefined {
    if (!node) return undefined;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? node;
    return node;
  }

  /** A value worth pointing at: written out, and on one line. */
  private usable(node: Node): boolean {
    if (!node.range || node.range[0] === node.range[1]) return false;
    if (isScalar(node) && node.value === null && node.range[1] - node.range[0] === 0) return false;
    return this.lines.linePos(node.range[0]).line === this.lines.linePos(node.range[1]).line;
  }

  private place(node: Node): Place {
    if (!node.range) return { line: 1, col: 1 };
    const [from, to] = node.range;
    const pos = this.span(from, to);
    if (pos.endCol === undefined && !this.usable(node)) return { line: pos.line, col: pos.col };
    return pos;
  }
}
