// `{{ expr }}` templates inside scenario strings: finding them, checking them, rendering them.
import { randomUUID } from 'node:crypto';
import type { RunValues, TemplateScope } from './types.js';

export type NamedRefKind = 'env' | 'vars' | 'secrets' | 'captures';
export type RefKind = NamedRefKind | 'run.id' | 'key' | 'uuid' | 'now';

export interface TemplateRef {
  kind: RefKind;
  /** The NAME of `env.NAME`, `vars.NAME`, `secrets.NAME`, `captures.NAME`. */
  name?: string;
  /** The expression, spaces trimmed: `env.BASE_URL`, `run.id`, `uuid()`. */
  expr: string;
  /** Offsets of the whole `{{ ... }}` in the text (end exclusive). */
  start: number;
  end: number;
}

export interface TemplateError {
  /** Offsets in the text (end exclusive) of the part at fault. */
  start: number;
  end: number;
  message: string;
}

export interface TemplateContext {
  scope: TemplateScope;
  run: RunValues;
  captures?: Record<string, string>;
}

const NAMED = /^(env|vars|secrets|captures)\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const FIXED: Record<string, RefKind> = { 'run.id': 'run.id', key: 'key', 'uuid()': 'uuid', 'now()': 'now' };
const ALLOWED = 'env.NAME, vars.NAME, secrets.NAME, captures.NAME, run.id, key, uuid() or now()';

type Part = { literal: string } | { ref: TemplateRef } | { error: TemplateError };

function* scan(text: string): Generator<Part> {
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) break;
    if (open > at) yield { literal: text.slice(at, open) };
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      yield {
        error: { start: open, end: text.length, message: `unclosed '{{' (a template looks like {{ env.NAME }})` },
      };
      return;
    }
    const end = close + 2;
    const expr = text.slice(open + 2, close).trim();
    const parsed = parseExpr(expr);
    if (typeof parsed === 'string') yield { error: { start: open, end, message: parsed } };
    else yield { ref: { ...parsed, expr, start: open, end } };
    at = end;
  }
  if (at < text.length) yield { literal: text.slice(at) };
}

function parseExpr(expr: string): { kind: RefKind; name?: string } | string {
  const fixed = FIXED[expr];
  if (fixed) return { kind: fixed };
  const named = NAMED.exec(expr);
  if (named) return { kind: named[1] as NamedRefKind, name: named[2]! };
  if (expr === '') return `empty template '{{}}': use ${ALLOWED}`;
  return `unknown template expression '${expr}'${hint(expr)}: use ${ALLOWED}`;
}

function hint(expr: string): string {
  const lower = expr.toLowerCase();
  if (lower !== expr && parseExprQuiet(lower)) return ` (names of scopes are lower case: '${lower}')`;
  if (/^(env|vars|secrets|captures)$/.test(expr)) return ` (it needs a name: '${expr}.NAME')`;
  if (/^(run[._-]?id|runid|run)$/i.test(expr)) return ` (did you mean 'run.id'?)`;
  if (/^(uuid|now)$/.test(expr)) return ` (did you mean '${expr}()'?)`;
  if (/^(var|secret|capture)\./.test(expr)) return ` (did you mean '${expr.replace('.', 's.')}'?)`;
  return '';
}

function parseExprQuiet(expr: string): boolean {
  return expr in FIXED || NAMED.test(expr);
}

/** True when the text contains `{{` (a template, valid or not). */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** Syntax errors and unknown expressions, in order. */
export function findTemplateErrors(text: string): TemplateError[] {
  const errors: TemplateError[] = [];
  for (const part of scan(text)) if ('error' in part) errors.push(part.error);
  return errors;
}

/** The valid template expressions in the text, in order. */
export function referencesOf(text: string): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const part of scan(text)) if ('ref' in part) refs.push(part.ref);
  return refs;
}

/**
 * Substitutes every template. `encode` applies to substituted values only (e.g.
 * encodeURIComponent for paths, shellQuote for commands). Throws on an unknown
 * expression or an undefined variable: the loader rejects both up front.
 */
export function renderString(text: string, ctx: TemplateContext, encode?: (value: string) => string): string {
  let out = '';
  for (const part of scan(text)) {
    if ('literal' in part) out += part.literal;
    else if ('error' in part) throw new Error(`cannot render '${text}': ${part.error.message}`);
    else {
      const value = valueOf(part.ref, ctx);
      out += encode ? encode(value) : value;
    }
  }
  return out;
}

/** Renders every string inside objects and arrays (keys untouched); other values are copied as they are. */
export function renderValue(value: unknown, ctx: TemplateContext, encode?: (value: string) => string): unknown {
  if (typeof value === 'string') return renderString(value, ctx, encode);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, ctx, encode));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderValue(item, ctx, encode);
    return out;
  }
  return value;
}

/** POSIX single-quote style: `it's` -> `'it'\''s'`. Safe as one shell word. */
export function shellQuote(value: string): string {
  // Values made only of safe characters (run ids, UUIDs, numbers) go in bare, so
  // a template may also sit inside quotes of the command's own, as in
  // `psql -c "... where ref='{{ run.id }}'"`; anything else is single-quoted.
  if (/^[A-Za-z0-9_.:\/@%+=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function valueOf(ref: TemplateRef, ctx: TemplateContext): string {
  switch (ref.kind) {
    case 'run.id':
      return ctx.run.runId;
    case 'key':
      return ctx.run.key;
    case 'uuid':
      return randomUUID();
    case 'now':
      return new Date().toISOString();
    case 'env':
    case 'vars':
    case 'secrets': {
      const value = ctx.scope[ref.kind][ref.name!];
      if (value === undefined) throw new Error(`undefined variable '${ref.expr}'`);
      return value;
    }
    case 'captures': {
      const value = ctx.captures?.[ref.name!];
      if (value === undefined) throw new Error(`undefined variable '${ref.expr}' (no setup step captured it)`);
      return value;
    }
  }
}
