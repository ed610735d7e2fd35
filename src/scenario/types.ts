// The normalised scenario: what the loader hands to the planner once the YAML
// is valid. Strings may still hold `{{ ... }}` templates; they are rendered per
// attack run by plan/render.ts, so duplicates and retries are byte-identical.

export type AfterExpiry = 'new' | 'reject' | 'replay' | 'any';

/** How `concurrent` sends its bursts: `auto` picks h2 for an https target that offers it by ALPN, else h1. */
export const ENGINE_NAMES = ['auto', 'h1', 'h2', 'naive'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface SourcePos {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

/** A status list as written (`[200, 201]`, `4xx`), compiled to a predicate. */
export interface StatusSet {
  /** The list as the user wrote it, for messages: "200, 201". */
  text: string;
  codes: number[];
  /** Hundreds digit of each `Nxx` class. */
  classes: number[];
}

export interface RequestTemplate {
  method: string;
  /** Joined to the target with one slash at the seam (a base path in the target is kept): see joinUrl. */
  path: string;
  headers: Record<string, string>;
  /** Exactly one of json/body, or neither. */
  json?: unknown;
  body?: string;
}

export interface CountByRequest {
  kind: 'request';
  /** Inherits the operation's headers (never the key header); its own win. */
  request: RequestTemplate;
  /** JSONPath: a number, an array (length), or several matches (their number). */
  select: string;
}

export interface CountByCommand {
  kind: 'command';
  /** Run with `sh -c`; prints a number. */
  command: string;
}

export interface EffectsSpec {
  count: CountByRequest | CountByCommand | undefined;
  /** JSONPath into a success response naming the created resource. */
  id?: string;
  /** JSONPath into the oracle response listing the ids of the effects. */
  ids?: string;
  settleMs: number;
  /** `effects.timeout`: bound for one run of a `command:` oracle, after which its process group is killed (default 10 s). */
  timeoutMs: number;
}

export interface ReplayHeader {
  name: string;
  value: string;
}

export interface Expectations {
  success: StatusSet;
  inFlight: StatusSet;
  mismatch: StatusSet;
  afterExpiry: AfterExpiry;
  /** A request without a key: refused (reject, the draft) or processed as a plain one (allow). */
  missingKey: 'reject' | 'allow';
  /** What a missing, empty or over-long key gets under `reject`. */
  invalidKey: StatusSet;
  /** The same key on another operation: processed as its own, refused (4xx), or either. */
  otherOperation: 'independent' | 'reject' | 'either';
  /** The corrected request, same key, after an invalid one: processed, refused (4xx), or either. */
  afterError: 'process' | 'reject' | 'either';
  replayHeader?: ReplayHeader;
  /** JSONPaths left out when comparing bodies. */
  ignore: string[];
}

/**
 * What the loader needs of an attack to read its entry under `attacks:`; the
 * attack modules (src/attacks/) implement it, and the caller hands them in.
 */
export interface AttackSyntax {
  readonly id: string;
  /** From the YAML value (already valid against the schema) to the attack's config. */
  normalize(raw: Record<string, unknown>): unknown;
  check?: AttackCheck;
}

/** Semantic checks of `attacks.<id>`: `raw` is its value; problems go to `at.error`. */
export type AttackCheck = (raw: Record<string, unknown>, at: AttackCheckContext) => void;

export interface AttackCheckContext {
  /** The whole scenario as parsed. */
  scenario: Record<string, unknown>;
  /** An error about `attacks.<id>.<path>`, marked on its key (default) or its value. */
  error(path: (string | number)[], message: string, on?: 'key' | 'value'): void;
}

export interface Scenario {
  name: string;
  /** Path as the user named it (relative to the working directory when possible). */
  file: string;
  /** Index within the file (0 for a single-scenario file). */
  index: number;
  /** Position of the scenario's `name:` entry. */
  pos: SourcePos;
  /** Base URL template (the first instance when there are several). */
  target: string;
  /** Every instance's base URL template, when `targets:` (or --target repeated) names more than one. */
  targets?: string[];
  request: RequestTemplate;
  /** `maxLength` undefined: no documented limit. */
  idempotency: { header: string; ttlMs?: number; maxLength?: number };
  /** The principals, in file order; every attack runs as the first. */
  tenants?: Tenant[];
  /** Other keyed operations of the same API. */
  operations?: Operation[];
  /** Absent: no oracle, verdicts are response-only. */
  effects?: EffectsSpec;
  expect: Expectations;
  /** Absent when the scenario has no `attacks:` block; otherwise each configured attack's normalised config, by id. */
  attacks?: Record<string, unknown>;
  /** Line of each entry under `attacks:`, for CI annotations. */
  attackLines: Record<string, number>;
  /** The contract preset chosen (the scenario's `preset:`, else `--preset`); absent: the default, `ietf`. */
  preset?: string;
  /** Requests sent once before the attacks; their captures feed `{{ captures.NAME }}`. */
  setup?: SetupStep[];
  /** Requests sent once after the attacks, also when they failed. */
  teardown?: SetupStep[];
}

export interface Tenant {
  name: string;
  /** Merged over the request's and every operation's headers (and the oracle's, when it counts this tenant). */
  headers: Record<string, string>;
}

export interface Operation {
  name: string;
  request: RequestTemplate;
  /** Its own oracle, when declared. */
  effects?: EffectsSpec;
}

/**
 * One setup or teardown request. It sends only its own headers (never the
 * operation's, never the idempotency key); method defaults to POST when it has
 * `json` or `body`, else GET.
 */
export interface SetupStep {
  request: RequestTemplate;
  /** NAME -> JSONPath into the step's JSON response; the first match is kept. */
  capture: Record<string, string>;
  /** 1-based line of the step in its file, for messages. */
  line: number;
}

/** Values available to `{{ env.X }}`, `{{ vars.X }}`, `{{ secrets.X }}`. */
export interface TemplateScope {
  env: Record<string, string | undefined>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/** Per attack run: `{{ run.id }}` and `{{ key }}`. */
export interface RunValues {
  runId: string;
  key: string;
}
