// Builds the `Scenario` the planner consumes from a scenario that passed every
// check: defaults filled in, durations in ms, status lists compiled.
import { isPlainObject } from '../model/values.js';
import { parseDuration } from './duration.js';
import type { Locator, Segment } from './positions.js';
import { effectivePreset, type Preset } from './presets.js';
import { parseStatusSet } from './status.js';
import type { AfterExpiry, AttackSyntax, EffectsSpec, Expectations, ReplayHeader, RequestTemplate, Scenario, SetupStep } from './types.js';

type Map_ = Record<string, unknown>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const EXPECT_DEFAULTS = {
  success: [200, 201],
  inFlight: [409],
  mismatch: [422],
  afterExpiry: 'new' as AfterExpiry,
};

export interface NormalizeInput {
  raw: Map_;
  file: string;
  index: number;
  /** Where the scenario sits in its file. */
  base: Segment[];
  loc: Locator;
  /** `--target`, once or repeated: replaces the scenario's target or targets. */
  targetOverride?: string | string[];
  /** `--preset`: the scenario's own `preset:` wins. */
  preset?: string;
  /** The attacks whose entries under `attacks:` this scenario may configure. */
  attacks: readonly AttackSyntax[];
}

export function normalizeScenario({ raw, file, index, base, loc, targetOverride, preset: presetFlag, attacks: syntax }: NormalizeInput): Scenario {
  const namePos = loc.key([...base, 'name']);
  const attacks = map(raw.attacks);
  const preset = effectivePreset(raw.preset, presetFlag);
  const scenario: Scenario = {
    name: String(raw.name),
    file,
    index,
    pos: { file, line: namePos.line, col: namePos.col },
    target: '',
    request: requestOf(map(raw.request) ?? {}, 'POST'),
    idempotency: idempotencyOf(map(raw.idempotency) ?? {}, preset),
    expect: expectOf(map(raw.expect) ?? {}, preset),
    attackLines: {},
  };
  const targets = targetsOf(raw, targetOverride);
  scenario.target = targets[0] ?? '';
  if (targets.length > 1) scenario.targets = targets;
  const tenants = map(raw.tenants);
  if (tenants) scenario.tenants = Object.entries(tenants).map(([name, t]) => ({ name, headers: headersOf(map(t)?.headers) }));
  const operations = map(raw.operations);
  if (operations) {
    scenario.operations = Object.entries(operations).map(([name, o]) => {
      const op: NonNullable<Scenario['operations']>[number] = { name, request: requestOf(map(map(o)?.request) ?? {}, 'POST') };
      const effects = map(map(o)?.effects);
      if (effects) op.effects = effectsOf(effects);
      return op;
    });
  }
  if (typeof raw.preset === 'string' || presetFlag !== undefined) scenario.preset = preset.name;
  for (const list of ['setup', 'teardown'] as const) {
    const steps = raw[list];
    if (Array.isArray(steps)) scenario[list] = steps.map((step, i) => stepOf(map(step) ?? {}, loc.value([...base, list, i]).line));
  }
  const effects = map(raw.effects);
  if (effects) scenario.effects = effectsOf(effects);
  if (attacks) {
    scenario.attacks = {};
    for (const attack of syntax) {
      if (attack.id in attacks) scenario.attacks[attack.id] = attack.normalize(map(attacks[attack.id]) ?? {});
    }
    for (const [id, line] of loc.keyLines([...base, 'attacks'])) {
      if (id in scenario.attacks) scenario.attackLines[id] = line;
    }
  }
  return scenario;
}

/** The key length most APIs accept when they document none of their own (Stripe's 255). */
export const DEFAULT_MAX_KEY_LENGTH = 255;

/** `--target` (repeated or not) wins over `targets:`, which stands instead of `target:`. */
function targetsOf(raw: Map_, override: string | string[] | undefined): string[] {
  if (override !== undefined) return Array.isArray(override) ? override : [override];
  if (Array.isArray(raw.targets)) return raw.targets.map(String);
  return [String(raw.target ?? '')];
}

function headersOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(map(value) ?? {})) out[name] = String(v);
  return out;
}

function requestOf(raw: Map_, defaultMethod: string): RequestTemplate {
  const request: RequestTemplate = {
    method: typeof raw.method === 'string' ? raw.method.toUpperCase() : defaultMethod,
    path: String(raw.path ?? ''),
    headers: {},
  };
  request.headers = headersOf(raw.headers);
  if ('json' in raw) request.json = raw.json;
  if (typeof raw.body === 'string') request.body = raw.body;
  return request;
}

/** A setup or teardown step: POST when it sends a body, else GET; only its own headers. */
function stepOf(raw: Map_, line: number): SetupStep {
  const method = 'json' in raw || typeof raw.body === 'string' ? 'POST' : 'GET';
  const capture: Record<string, string> = {};
  for (const [name, path] of Object.entries(map(raw.capture) ?? {})) capture[name] = String(path);
  return { request: requestOf(raw, method), capture, line };
}

function idempotencyOf(raw: Map_, preset: Preset): Scenario['idempotency'] {
  // Retention is never preset: only the header.
  const out: Scenario['idempotency'] = { header: typeof raw.header === 'string' ? raw.header : preset.header };
  if (raw.ttl !== undefined) out.ttlMs = parseDuration(raw.ttl as string);
  const maxLength = raw.maxLength ?? preset.maxLength ?? DEFAULT_MAX_KEY_LENGTH;
  if (typeof maxLength === 'number') out.maxLength = maxLength;
  return out;
}

/** `effects.timeout` when absent: how long one run of a command oracle may take. */
export const DEFAULT_ORACLE_TIMEOUT_MS = 10_000;

function effectsOf(raw: Map_): EffectsSpec {
  const count = map(raw.count);
  const effects: EffectsSpec = {
    count: count
      ? { kind: 'request', request: requestOf(map(count.request) ?? {}, 'GET'), select: String(count.select) }
      : typeof raw.command === 'string'
        ? { kind: 'command', command: raw.command }
        : undefined,
    settleMs: raw.settle === undefined ? 300 : parseDuration(raw.settle as string),
    timeoutMs: raw.timeout === undefined ? DEFAULT_ORACLE_TIMEOUT_MS : parseDuration(raw.timeout as string),
  };
  if (typeof raw.id === 'string') effects.id = raw.id;
  if (typeof raw.ids === 'string') effects.ids = raw.ids;
  return effects;
}

function expectOf(raw: Map_, preset: Preset): Expectations {
  const expect: Expectations = {
    success: parseStatusSet(raw.success ?? EXPECT_DEFAULTS.success),
    inFlight: parseStatusSet(raw.inFlight ?? preset.inFlight),
    mismatch: parseStatusSet(raw.mismatch ?? preset.mismatch),
    afterExpiry: (raw.afterExpiry as AfterExpiry | undefined) ?? EXPECT_DEFAULTS.afterExpiry,
    missingKey: (raw.missingKey as Expectations['missingKey'] | undefined) ?? preset.missingKey ?? 'reject',
    invalidKey: parseStatusSet(raw.invalidKey ?? '4xx'),
    otherOperation: (raw.otherOperation as Expectations['otherOperation'] | undefined) ?? 'either',
    afterError: (raw.afterError as Expectations['afterError'] | undefined) ?? 'either',
    ignore: Array.isArray(raw.ignore) ? raw.ignore.map(String) : [],
  };
  const replay = raw.replayHeader !== undefined ? replayHeaderOf(raw.replayHeader) : preset.replayHeader;
  if (replay) expect.replayHeader = { ...replay };
  return expect;
}

function replayHeaderOf(value: unknown): ReplayHeader | undefined {
  if (typeof value === 'string') {
    const parsed = parseReplayHeader(value);
    return typeof parsed === 'string' ? undefined : parsed;
  }
  const entries = Object.entries(map(value) ?? {});
  if (entries.length !== 1) return undefined;
  const [name, v] = entries[0]!;
  return { name, value: String(v) };
}

/** `Name` -> value `true`; `Name: value` -> that value. A string is a message about what is wrong. */
export function parseReplayHeader(text: string): ReplayHeader | string {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const value = colon < 0 ? 'true' : text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) return `invalid replayHeader '${text}': write a header name, optionally followed by ': value'`;
  if (colon >= 0 && value === '') return `replayHeader '${text}' has no value after ':' (write just '${name}' to mean '${name}: true')`;
  return { name, value };
}

function map(value: unknown): Map_ | undefined {
  return isPlainObject(value) ? value : undefined;
}
