// Reads scenario files into `Scenario`s, or throws one ScenarioError listing
// every problem in every file.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { asMap, checkScenario } from './checks.js';
import { ScenarioError, sortMessages } from './errors.js';
import type { ScenarioMessage } from './errors.js';
import { normalizeScenario } from './normalize.js';
import { Locator } from './positions.js';
import { presetForFlag } from './presets.js';
import type { Segment } from './positions.js';
import type { AttackSyntax, Scenario, TemplateScope } from './types.js';
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
      text = await readFile(file, 'utf8');
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

/** One file's scenarios and problems; scenarios only when it has no errors. */
export function loadFile(file: string, text: string, options: LoadOptions): FileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const message = (severity: 'error' | 'warning') => (d: Draft): ScenarioMessage => ({
    file,
    line: d.line,
    col: d.col,
    ...(d.endCol !== undefined ? { endCol: d.endCol } : {}),
    message: d.message,
    severity,
  });
  const loc = new Locator(doc, lineCounter, text);
  const yamlProblems = (list: typeof doc.errors): Draft[] =>
    list.map((e) => ({ ...loc.span(e.pos[0], Math.max(e.pos[0], e.pos[1])), message: yamlMessage(e.message), path: [] }));

  const yamlWarnings = yamlProblems(doc.warnings).map(message('warning'));
  if (doc.errors.length > 0) {
    return { scenarios: [], errors: yamlProblems(doc.errors).map(message('error')), warnings: yamlWarnings };
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { scenarios: [], errors: [{ file, line: 1, col: 1, message: (e as Error).message, severity: 'error' }], warnings: yamlWarnings };
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

/** yaml's messages end with a full stop and sometimes a source excerpt. */
function yamlMessage(text: string): string {
  const first = text.split('\n')[0]!.trim();
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
