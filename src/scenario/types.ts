// The normalised scenario: what the loader hands to the planner once the YAML
// is valid. Strings may still hold `{{ ... }}` templates; they are rendered per
// attack run by plan/render.ts, so duplicates and retries are byte-identical.

export const ATTACK_IDS = ['replay', 'concurrent', 'reuse', 'expiry', 'drop'] as const;
export type AttackId = (typeof ATTACK_IDS)[number];

export const DROP_POINTS = ['after-send', 'mid-body', 'mid-response'] as const;
export type DropPoint = (typeof DROP_POINTS)[number];

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
  replayHeader?: ReplayHeader;
  /** JSONPaths left out when comparing bodies. */
  ignore: string[];
}

export interface AttackConfigs {
  replay: Record<string, never>;
  concurrent: {
    requests: number;
    engine: EngineName;
    /** Separate bursts, each with a fresh key and run.id. */
    bursts: number;
    /** Harmless warming requests (the oracle request) before each burst. */
    warm: number;
  };
  reuse: { change?: Record<string, unknown> };
  /** Margin past the ttl for key B: an absolute duration or a fraction of the ttl. */
  expiry: { margin: { ms: number } | { fraction: number } };
  drop: { at: DropPoint[] };
}

export const ATTACK_DEFAULTS: AttackConfigs = {
  replay: {},
  concurrent: { requests: 20, engine: 'auto', bursts: 3, warm: 0 },
  reuse: {},
  expiry: { margin: { fraction: 0.2 } },
  drop: { at: [...DROP_POINTS] },
};

export interface Scenario {
  name: string;
  /** Path as the user named it (relative to the working directory when possible). */
  file: string;
  /** Index within the file (0 for a single-scenario file). */
  index: number;
  /** Position of the scenario's `name:` entry. */
  pos: SourcePos;
  /** Base URL template. */
  target: string;
  request: RequestTemplate;
  idempotency: { header: string; ttlMs?: number };
  /** Absent: no oracle, verdicts are response-only. */
  effects?: EffectsSpec;
  expect: Expectations;
  /** Absent when the scenario has no `attacks:` block; otherwise the configured ones, defaults filled in. */
  attacks?: Partial<AttackConfigs>;
  /** Line of each entry under `attacks:`, for CI annotations. */
  attackLines: Partial<Record<AttackId, number>>;
  /** The contract preset chosen (the scenario's `preset:`, else `--preset`); absent: the default, `ietf`. */
  preset?: string;
  /** Requests sent once before the attacks; their captures feed `{{ captures.NAME }}`. */
  setup?: SetupStep[];
  /** Requests sent once after the attacks, also when they failed. */
  teardown?: SetupStep[];
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
