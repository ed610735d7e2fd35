// Reads scenario files into `Scenario`s, or throws one ScenarioError listing
// every problem in every file.
import { open } from 'node:fs/promises';
import { isAlias, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { asMap, checkScenario } from './checks.js';
import { ScenarioError, sortMessages } from './errors.js';
import type { ScenarioMessage } from './errors.js';
import { normalizeScenario } from './normalize.js';
import { Locator } from './positions.js';
import { presetForFlag } from './presets.js';
import type { Segment } from './positions.js';
import type { AttackSyntax, Scenario, TemplateScope } from './types.js';
import { duplicateKeys, MAX_ALIAS_NODES, structureProblem } from './structure.js';
import { schemaErrors } from './validate.js';
import type { Draft } from './validate.js';

export interface LoadOptions {
  scope: TemplateScope;
  /** `--target` (repeatable): replaces every scenario's target or targets, which then need not be set or resolvable. */
  targetOverride?: string | string[];
  /**
   * `--preset`: the contract preset for scenarios that name none (a scenario's
   * own `preset:` wins). An unknown name throws a UsageError before any file is read.
   */
  preset?: string;
  /** The attacks a scenario's `attacks:` block may configure (src/attacks hands in its list). */
  attacks: readonly AttackSyntax[];
  /**
   * What an undefined `{{ env.X }}`, `{{ vars.X }}` or `{{ secrets.X }}` is:
   * `error` (default: `run` cannot render it), or `warn` for `validate`, which
   * CI lint steps run before any secret exists. Unknown expressions (such as
   * `{{ var.X }}`) and undefined captures stay errors either way.
   */
  undefinedVariables?: 'error' | 'warn';
}

export interface LoadResult {
  scenarios: Scenario[];
  warnings: ScenarioMessage[];
  /** Each file's text, for formatting messages. */
  sources: Map<string, string>;
}

interface FileResult {
  scenarios: Scenario[];
  errors: ScenarioMessage[];
  warnings: ScenarioMessage[];
}

export async function loadScenarios(files: string[], options: LoadOptions): Promise<LoadResult> {
  presetForFlag(options.preset);
  const sources = new Map<string, string>();
  const scenarios: Scenario[] = [];
  let errors: ScenarioMessage[] = [];
  let warnings: ScenarioMessage[] = [];
  for (const file of files) {
    let text: string;
    try {
      const read = await readBounded(file);
      if (read.size !== undefined) {
        sources.set(file, read.text);
        errors.push({ file, line: 1, col: 1, message: tooBig(read.size), severity: 'error' });
        continue;
      }
      text = read.text;
    } catch (e) {
      errors.push({ file, line: 0, col: 0, message: `cannot read file: ${(e as Error).message}`, severity: 'error' });
      continue;
    }
    sources.set(file, text);
    const result = loadFile(file, text, options);
    errors.push(...result.errors);
    warnings.push(...result.warnings);
    scenarios.push(...result.scenarios);
  }
  warnings.push(...duplicateNames(scenarios));
  errors = sortMessages(errors, files);
  warnings = sortMessages(warnings, files);
  if (errors.length > 0) throw new ScenarioError(errors, warnings, sources);
  return { scenarios, warnings, sources };
}

/**
 * The largest scenario file read. Real ones are a few kilobytes; yaml reads a
 * megabyte of maps and lists in seconds (a megabyte of one string at once),
 * so this bounds the time any file takes to load.
 */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Messages told per file, errors and warnings each; the rest are counted in one more. */
export const MAX_MESSAGES = 100;

/** Characters of a message; longer quoted values are cut (a megabyte-long bad value need not be shown whole). */
const MAX_MESSAGE = 1000;
const MAX_QUOTED = 80;

function tooBig(bytes: number): string {
  return `the file is ${(bytes / 1024 / 1024).toFixed(1)} MiB; a scenario file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MiB`;
}

/** The file's text, or, past MAX_FILE_BYTES, its size and the start of it (for the message's excerpt). */
async function readBounded(file: string): Promise<{ text: string; size?: number }> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size > MAX_FILE_BYTES) {
      const head = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return { text: head.subarray(0, bytesRead).toString('utf8'), size };
    }
    // Not by the size alone: a file may grow between stat and read, and a pipe has none.
    const bytes = await handle.readFile();
    if (bytes.length > MAX_FILE_BYTES) return { text: bytes.subarray(0, 4096).toString('utf8'), size: bytes.length };
    return { text: bytes.toString('utf8') };
  } finally {
    await handle.close();
  }
}

/** One file's scenarios and problems; scenarios only when it has no errors. */
export function loadFile(file: string, text: string, options: LoadOptions): FileResult {
  if (text.length > MAX_FILE_BYTES) {
    return { scenarios: [], errors: [{ file, line: 1, col: 1, message: tooBig(Buffer.byteLength(text)), severity: 'error' }], warnings: [] };
  }
  const result = loadText(file, text, options);
  return { scenarios: result.scenarios, errors: bounded(result.errors, file), warnings: bounded(result.warnings, file) };
}

/**
 * The first MAX_MESSAGES messages in file order, each cut to MAX_MESSAGE
 * characters, and one more saying how many are left out: a file of thousands
 * of unknown keys gets a readable answer.
 */
function bounded(messages: ScenarioMessage[], file: string): ScenarioMessage[] {
  const sorted = sortMessages(messages, [file]).map((m) => ({ ...m, message: boundedText(m.message) }));
  if (sorted.length <= MAX_MESSAGES) return sorted;
  const next = sorted[MAX_MESSAGES]!;
  const rest = sorted.length - MAX_MESSAGES;
  const kind = next.severity === 'error' ? 'error' : 'warning';
  const more: ScenarioMessage = {
    file,
    line: next.line,
    col: next.col,
    message: `${rest} more ${kind}${rest === 1 ? '' : 's'} in this file from here on, not shown (the first ${MAX_MESSAGES} are)`,
    severity: next.severity,
  };
  return [...sorted.slice(0, MAX_MESSAGES), more];
}

function boundedText(message: string): string {
  if (message.length <= MAX_MESSAGE) return message;
  const long = new RegExp(`'([^']{${MAX_QUOTED + 1},})'`, 'g');
  const quoted = message.replace(long, (_all, inner: string) => `'${inner.slice(0, MAX_QUOTED - 3)}...'`);
  if (quoted.length <= MAX_MESSAGE) return quoted;
  const half = MAX_MESSAGE / 2 - 3;
  return `${quoted.slice(0, half)} … ${quoted.slice(-half)}`;
}

function loadText(file: string, text: string, options: LoadOptions): FileResult {
  // Repeated keys are found by duplicateKeys, in linear time.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const message = (severity: 'error' | 'warning') => (d: Draft): ScenarioMessage => ({
    file,
    line: d.line,
    col: d.col,
    ...(d.endCol !== undefined ? { endCol: d.endCol } : {}),
    message: d.message,
    severity,
  });
  const loc = new Locator(doc, text);
  const yamlProblems = (list: readonly { code: string; message: string; pos: readonly [number, number] }[]): Draft[] =>
    list.map((e) => ({ ...loc.span(e.pos[0], Math.max(e.pos[0], e.pos[1])), message: yamlMessage(e), path: [] }));

  const yamlWarnings = yamlProblems(doc.warnings).map(message('warning'));
  const syntax = [...doc.errors, ...duplicateKeys(doc).map((d) => ({ code: 'DUPLICATE_KEY', message: d.message, pos: [d.from, d.to] as const }))];
  if (syntax.length > 0) {
    return { scenarios: [], errors: yamlProblems(syntax).map(message('error')), warnings: yamlWarnings };
  }
  // Cycles, deep nesting and alias bombs, before they become a value that
  // every recursive check below would overflow on.
  const shape = structureProblem(doc);
  if (shape) {
    const error = message('error')({ ...loc.span(shape.from, shape.to), message: shape.message, path: [] });
    return { scenarios: [], errors: [error], warnings: yamlWarnings };
  }

  let raw: unknown;
  try {
    // structureProblem has bounded what aliases repeat; yaml's own bound stays as a second guard.
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_NODES });
  } catch (e) {
    const error = message('error')({ ...firstAlias(doc, loc), message: `YAML: ${(e as Error).message}`, path: [] });
    return { scenarios: [], errors: [error], warnings: yamlWarnings };
  }
  if (raw === null || raw === undefined) {
    return { scenarios: [], errors: [{ file, line: 1, col: 1, message: 'the file holds no scenario', severity: 'error' }], warnings: yamlWarnings };
  }

  const schema = schemaErrors(raw, loc);
  const root = asMap(raw);
  const list = root && 'scenarios' in root ? root.scenarios : undefined;
  const items: { raw: unknown; base: Segment[] }[] = !root
    ? []
    : 'scenarios' in root
      ? Array.isArray(list)
        ? list.map((item, i) => ({ raw: item, base: ['scenarios', i] }))
        : []
      : [{ raw: root, base: [] }];

  const semantic: Draft[] = [];
  const semanticWarnings: Draft[] = [];
  for (const item of items) {
    const result = checkScenario(item.raw, item.base, loc, options);
    semantic.push(...result.errors);
    semanticWarnings.push(...result.warnings);
  }
  // Where a semantic check spoke, its message is the more precise one.
  const spoken = new Set(semantic.map((d) => `${d.line}:${d.col}`));
  const drafts = [...schema.filter((d) => !spoken.has(`${d.line}:${d.col}`)), ...semantic];

  const errors = drafts.map(message('error'));
  const warnings = [...yamlWarnings, ...semanticWarnings.map(message('warning'))];
  if (errors.length > 0) return { scenarios: [], errors, warnings };

  const scenarios = items.map((item, index) =>
    normalizeScenario({
      raw: asMap(item.raw)!,
      file,
      index,
      base: item.base,
      loc,
      targetOverride: options.targetOverride,
      attacks: options.attacks,
      ...(options.preset !== undefined ? { preset: options.preset } : {}),
    }),
  );
  return { scenarios, errors: [], warnings };
}

/** Where the first alias is written (what toJS fails on), else the start of the file. */
function firstAlias(doc: Document, loc: Locator): { line: number; col: number; endCol?: number } {
  let found: [number, number] | undefined;
  visit(doc, {
    Alias: (_key, node) => {
      if (isAlias(node) && node.range) found = [node.range[0], node.range[1]];
      return visit.BREAK;
    },
  });
  return found ? loc.span(found[0], found[1]) : { line: 1, col: 1 };
}

/** yaml's messages end with a full stop and sometimes a source excerpt. */
function yamlMessage(e: { code: string; message: string }): string {
  // yaml reports the stack overflow of its own recursion as this.
  if (e.code === 'RESOURCE_EXHAUSTION') return 'YAML syntax: lists and maps nest too deeply to read';
  const first = e.message.split('\n')[0]!.trim();
  const clean = first.replace(/\.$/, '');
  return `YAML syntax: ${clean.charAt(0).toLowerCase()}${clean.slice(1)}`;
}

function duplicateNames(scenarios: Scenario[]): ScenarioMessage[] {
  const seen = new Map<string, Scenario>();
  const out: ScenarioMessage[] = [];
  for (const s of scenarios) {
    const first = seen.get(s.name);
    if (!first) {
      seen.set(s.name, s);
      continue;
    }
    out.push({
      file: s.file,
      line: s.pos.line,
      col: s.pos.col,
      endCol: s.pos.col + 'name'.length,
      message: `another scenario is also named '${s.name}' (${first.file}:${first.pos.line}); reports will be hard to tell apart`,
      severity: 'warning',
    });
  }
  return out;
}
