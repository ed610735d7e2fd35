// Checks the schema cannot express: value syntax, combinations, templates and
// the variables they use. Each returns positioned drafts; none throws.
import { isPlainObject } from '../model/values.js';
import { parseDuration } from './duration.js';
import { jsonPathError } from './jsonpath.js';
import { parseReplayHeader } from './normalize.js';
import { displayPath } from './positions.js';
import { effectivePreset, isPresetName, unknownPresetMessage } from './presets.js';
import type { Locator, Place, Segment } from './positions.js';
import { parseStatusSet } from './status.js';
import { findTemplateErrors, hasTemplate, referencesOf } from './template.js';
import type { TemplateRef } from './template.js';
import type { AttackSyntax, TemplateScope } from './types.js';
import type { Draft } from './validate.js';

export interface CheckOptions {
  scope: TemplateScope;
  targetOverride?: string | string[];
  /** `--preset` (already known to be valid); the scenario's own `preset:` wins. */
  preset?: string;
  /** The attacks whose `attacks:` entries get their own checks. */
  attacks: readonly AttackSyntax[];
  /** See LoadOptions.undefinedVariables. */
  undefinedVariables?: 'error' | 'warn';
}

export interface CheckResult {
  errors: Draft[];
  warnings: Draft[];
}

type Map_ = Record<string, unknown>;

const STATUS_KEYS = ['success', 'inFlight', 'mismatch'] as const;

/** Semantic checks of one scenario (`raw`) found at `base` in its file. */
export function checkScenario(raw: unknown, base: Segment[], loc: Locator, options: CheckOptions): CheckResult {
  const errors: Draft[] = [];
  const warnings: Draft[] = [];
  const s = asMap(raw);
  if (!s) return { errors, warnings };
  const at = (...segments: Segment[]): Segment[] => [...base, ...segments];
  const error = (place: Place, message: string, path: Segment[]) => errors.push({ ...place, message, path });
  const warn = (place: Place, message: string, path: Segment[]) => warnings.push({ ...place, message, path });

  if (options.targetOverride === undefined && s.target === undefined && s.targets === undefined) {
    error(loc.value(base), `no target: add 'target:' (the API's base URL) or pass --target`, base);
  }
  if (s.target !== undefined && s.targets !== undefined) {
    error(loc.key(at('targets')), `use either target or targets, not both`, at('targets'));
  }

  // The contract preset (the schema's enum says the same, less precisely).
  if (typeof s.preset === 'string' && !isPresetName(s.preset)) {
    error(loc.value(at('preset')), unknownPresetMessage(s.preset), at('preset'));
  }

  // Durations.
  for (const path of [['idempotency', 'ttl'], ['effects', 'settle'], ['effects', 'timeout']]) {
    const value = dig(s, path);
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      const ms = parseDuration(value);
      // A command killed before it could start would make every attack "could not test".
      if (path[1] === 'timeout' && ms <= 0) error(loc.value(at(...path)), `effects.timeout must be more than 0`, at(...path));
    } catch (e) {
      error(loc.value(at(...path)), (e as Error).message, at(...path));
    }
  }

  // Status lists.
  for (const key of STATUS_KEYS) {
    const value = dig(s, ['expect', key]);
    if (value === undefined) continue;
    const items: [unknown, Segment[]][] = Array.isArray(value)
      ? value.map((item, i) => [item, at('expect', key, i)])
      : [[value, at('expect', key)]];
    for (const [item, path] of items) {
      try {
        parseStatusSet(item);
      } catch (e) {
        error(loc.value(path), (e as Error).message, path);
      }
    }
    if (key === 'success' && Array.isArray(value) && value.length === 0) {
      error(loc.value(at('expect', key)), `'expect.success' must list at least one status`, at('expect', key));
    }
  }

  // Either/or pairs.
  for (const path of requestPaths(s)) {
    const request = asMap(dig(s, path));
    if (request && 'json' in request && 'body' in request) {
      error(loc.key(at(...path, 'body')), `use either json or body in '${displayPath(path)}', not both`, at(...path, 'body'));
    } else if (request && typeof request.body === 'string' && !hasHeader(request.headers, 'content-type')) {
      warn(loc.key(at(...path, 'body')), `'${displayPath(path)}.body' is sent without a Content-Type header: add one to headers`, at(...path, 'body'));
    }
  }
  const effects = asMap(s.effects);
  if (effects && 'count' in effects && 'command' in effects) {
    error(loc.key(at('effects', 'command')), `use either effects.count or effects.command, not both`, at('effects', 'command'));
  }

  // Each configured attack's own checks.
  const attacks = asMap(s.attacks);
  for (const attack of options.attacks) {
    const entry = attacks && attack.id in attacks ? (asMap(attacks[attack.id]) ?? {}) : undefined;
    if (!entry || !attack.check) continue;
    attack.check(entry, {
      scenario: s,
      error: (rel, message, on = 'key') => {
        const path = at('attacks', attack.id, ...rel);
        error(on === 'key' ? loc.key(path) : loc.value(path), message, path);
      },
    });
  }

  // JSONPath expressions.
  for (const path of jsonPathPaths(s)) {
    const value = dig(s, path);
    if (typeof value !== 'string') continue;
    const problem = jsonPathError(value);
    if (problem) error(loc.value(at(...path)), `invalid JSONPath '${value}': ${problem}`, at(...path));
  }

  // The replay marker header.
  const replayHeader = dig(s, ['expect', 'replayHeader']);
  if (typeof replayHeader === 'string') {
    const parsed = parseReplayHeader(replayHeader);
    if (typeof parsed === 'string') error(loc.value(at('expect', 'replayHeader')), parsed, at('expect', 'replayHeader'));
  }

  // The key header is idemchaos's to set.
  const keyHeader =
    typeof dig(s, ['idempotency', 'header']) === 'string'
      ? String(dig(s, ['idempotency', 'header']))
      : effectivePreset(s.preset, options.preset).header;
  for (const name of Object.keys(asMap(dig(s, ['request', 'headers'])) ?? {})) {
    if (name.toLowerCase() !== keyHeader.toLowerCase()) continue;
    const path = at('request', 'headers', name);
    warn(loc.key(path), `'${name}' is the idempotency header: idemchaos sets it on every request, so this value is ignored`, path);
  }

  // Templates: syntax, then the variables they use.
  const captures = captureSteps(s);
  for (const [rel, text] of strings(s, [])) {
    const path = at(...rel);
    const isTarget = (rel.length === 1 && rel[0] === 'target') || (rel.length === 2 && rel[0] === 'targets');
    if (isTarget && options.targetOverride !== undefined) continue;
    for (const problem of findTemplateErrors(text).slice(0, MAX_PER_STRING)) error(loc.within(path, problem.start, problem.end), problem.message, path);
    // Each undefined variable once per string.
    const said = new Set<string>();
    for (const ref of referencesOf(text)) {
      if (said.has(ref.expr)) continue;
      const problem = undefinedVariable(ref, options.scope, captures.visibleAt(rel), isTarget, captures);
      if (!problem) continue;
      said.add(ref.expr);
      if (said.size > MAX_PER_STRING) break;
      // Values a later run supplies (the environment, --var, --secret) may be absent where
      // scenarios are only checked; captures are the file's own business.
      if (options.undefinedVariables === 'warn' && SUPPLIED.has(ref.kind)) warn(loc.within(path, ref.start, ref.end), `${problem}; a run needs it`, path);
      else error(loc.within(path, ref.start, ref.end), problem, path);
    }
  }
  for (const [rel, key] of keys(s, [])) {
    if (hasTemplate(key)) warn(loc.key(at(...rel)), `templates are not rendered in keys: '${key}' is used as written`, at(...rel));
  }

  // An oracle that finds this run's effects by {{ run.id }} needs a request that carries it.
  const request = asMap(s.request);
  if (request && !mentionsRunId(request)) {
    const used = firstRunId(effects?.count, at('effects', 'count')) ?? firstRunId(effects?.command, at('effects', 'command'));
    if (used) error(loc.within(used.path, used.ref.start, used.ref.end), unsentRunIdMessage(request), used.path);
  }

  // The side-effect oracle must count this attack run's effects and no others:
  // verdicts read after − before, and an unfiltered count turns the oracle's
  // design into findings (see UNFILTERED_ORACLE).
  const count = asMap(effects?.count);
  if (count && 'request' in count && !filtersByRun(count.request)) {
    error(loc.key(at('effects', 'count')), `${UNFILTERED_ORACLE}, e.g. path: "/orders?ref={{ run.id }}" with ${SEND_RUN_ID}`, at('effects', 'count'));
  }
  if (effects && typeof effects.command === 'string' && !filtersByRun(effects.command)) {
    error(loc.key(at('effects', 'command')), `${UNFILTERED_ORACLE}, e.g. where ref='{{ run.id }}' with ${SEND_RUN_ID}`, at('effects', 'command'));
  }

  return { errors, warnings };
}

/** Template problems told per string: a string of thousands of broken templates needs the first few. */
const MAX_PER_STRING = 10;

/** Template scopes whose values come from outside the file, at run time. */
const SUPPLIED: ReadonlySet<string> = new Set(['env', 'vars', 'secrets']);

/**
 * Why an oracle that counts more than one attack run cannot be judged: a
 * listing counted by its length stops at its page size, so after − before is
 * 0 (lost-effect on every attack, and a race's duplicates vanish); the first
 * page of an unfiltered listing does not hold the new id (lost-effect again,
 * with effects.ids); and whatever else creates effects while a run is open
 * counts as the run's own, which the expiry attack guarantees by running its
 * two keys in parallel (early-expiry, duplicate-effect).
 */
const UNFILTERED_ORACLE =
  'the oracle does not filter by {{ run.id }}, so it counts more than this attack run: a paginated or capped listing stops growing ' +
  "(lost-effect on every attack, duplicates unseen) and other traffic, the expiry attack's parallel second key included, adds effects; " +
  'filter it by {{ run.id }} (or {{ key }})';
const SEND_RUN_ID = 'ref: "{{ run.id }}" in request.json';

function undefinedVariable(
  ref: TemplateRef,
  scope: TemplateScope,
  captured: Set<string>,
  isTarget: boolean,
  steps: CaptureSteps,
): string | undefined {
  const name = ref.name ?? '';
  switch (ref.kind) {
    case 'env':
      return scope.env[name] === undefined
        ? `undefined variable '${ref.expr}' (set it in the environment${isTarget ? ', or pass --target' : ''})`
        : undefined;
    case 'vars':
      return Object.hasOwn(scope.vars, name) ? undefined : `undefined variable '${ref.expr}' (no var named '${name}' is defined)`;
    case 'secrets':
      return Object.hasOwn(scope.secrets, name) ? undefined : `undefined variable '${ref.expr}' (no secret named '${name}' is defined)`;
    case 'captures': {
      // Setup steps need the target, so it cannot wait for their captures.
      if (isTarget) return `'target' cannot use '${ref.expr}': setup steps are sent to the target, so it is rendered before they run`;
      if (captured.has(name)) return undefined;
      const later = steps.capturedBy(name);
      if (later) return `undefined variable '${ref.expr}' (only ${later} captures '${name}', and that runs after this)`;
      return `undefined variable '${ref.expr}' (no setup step captures '${name}')`;
    }
    default:
      return undefined;
  }
}

/** The first `{{ run.id }}` in the strings under `value` (found at `base`), with the string's path. */
function firstRunId(value: unknown, base: Segment[]): { path: Segment[]; ref: TemplateRef } | undefined {
  for (const [rel, text] of strings(value, [])) {
    const ref = referencesOf(text).find((r) => r.kind === 'run.id');
    if (ref) return { path: [...base, ...rel], ref };
  }
  return undefined;
}

function unsentRunIdMessage(request: Map_): string {
  const into = typeof request.body === 'string' && !('json' in request) ? 'request.body' : 'request.json (e.g. a ref field)';
  return `the oracle counts effects by {{ run.id }}, but request never sends run.id, so the count stays 0: put {{ run.id }} into ${into} or the path`;
}

function mentionsRunId(value: unknown): boolean {
  for (const [, text] of strings(value, [])) if (referencesOf(text).some((r) => r.kind === 'run.id')) return true;
  return false;
}

/** Uses a value unique to one attack run: its run.id, or its key (which every request of the run sends). */
function filtersByRun(value: unknown): boolean {
  for (const [, text] of strings(value, [])) if (referencesOf(text).some((r) => r.kind === 'run.id' || r.kind === 'key')) return true;
  return false;
}

/** Paths (relative to the scenario) of every request-shaped map. */
function requestPaths(s: Map_): Segment[][] {
  const out: Segment[][] = [['request'], ['effects', 'count', 'request']];
  for (const list of ['setup', 'teardown'] as const) {
    const steps = s[list];
    if (Array.isArray(steps)) steps.forEach((_, i) => out.push([list, i]));
  }
  return out;
}

function jsonPathPaths(s: Map_): Segment[][] {
  const out: Segment[][] = [['effects', 'count', 'select'], ['effects', 'id'], ['effects', 'ids']];
  const ignore = dig(s, ['expect', 'ignore']);
  if (Array.isArray(ignore)) ignore.forEach((_, i) => out.push(['expect', 'ignore', i]));
  for (const list of ['setup', 'teardown'] as const) {
    const steps = s[list];
    if (!Array.isArray(steps)) continue;
    steps.forEach((step, i) => {
      for (const name of Object.keys(asMap(asMap(step)?.capture) ?? {})) out.push([list, i, 'capture', name]);
    });
  }
  return out;
}

interface CaptureSteps {
  /** Names captured before the string at `rel` is rendered. */
  visibleAt(rel: Segment[]): Set<string>;
  /** "setup step 2" (1-based) for the first step that captures `name`, if any. */
  capturedBy(name: string): string | undefined;
}

/**
 * Which captures each place may use: a setup step, those of the setup steps
 * before it; a teardown step, every setup capture and those of the teardown
 * steps before it; everything else (request, effects, ...), every setup capture.
 */
function captureSteps(s: Map_): CaptureSteps {
  const namesOf = (list: 'setup' | 'teardown'): string[][] =>
    Array.isArray(s[list]) ? (s[list] as unknown[]).map((step) => Object.keys(asMap(asMap(step)?.capture) ?? {})) : [];
  const setup = namesOf('setup');
  const teardown = namesOf('teardown');
  const upTo = (lists: string[][], end: number) => lists.slice(0, end).flat();
  return {
    visibleAt(rel) {
      const [list, i] = rel;
      if (list === 'setup' && typeof i === 'number') return new Set(upTo(setup, i));
      if (list === 'teardown' && typeof i === 'number') return new Set([...setup.flat(), ...upTo(teardown, i)]);
      return new Set(setup.flat());
    },
    capturedBy(name) {
      const inSetup = setup.findIndex((names) => names.includes(name));
      if (inSetup >= 0) return `setup step ${inSetup + 1}`;
      const inTeardown = teardown.findIndex((names) => names.includes(name));
      return inTeardown >= 0 ? `teardown step ${inTeardown + 1}` : undefined;
    },
  };
}

/** Every string value with its path. */
function* strings(value: unknown, path: Segment[]): Generator<[Segment[], string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i]);
  else if (asMap(value)) for (const [k, v] of Object.entries(value as Map_)) yield* strings(v, [...path, k]);
}

/** Every map key with its path. */
function* keys(value: unknown, path: Segment[]): Generator<[Segment[], string]> {
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* keys(value[i], [...path, i]);
  else if (asMap(value)) {
    for (const [k, v] of Object.entries(value as Map_)) {
      yield [[...path, k], k];
      yield* keys(v, [...path, k]);
    }
  }
}

export function asMap(value: unknown): Map_ | undefined {
  return isPlainObject(value) ? value : undefined;
}

export function dig(value: unknown, path: Segment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (asMap(node)) node = (node as Map_)[String(segment)];
    else return undefined;
  }
  return node;
}

function hasHeader(headers: unknown, name: string): boolean {
  return Object.keys(asMap(headers) ?? {}).some((h) => h.toLowerCase() === name);
}
