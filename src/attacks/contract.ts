// The one contract every attack implements. An attack is a folder under
// src/attacks/ (index, execute, preview, judge); everything else (the ids, the
// `attacks:` part of the JSON Schema, `--attack` help, the planner's skip
// reasons, `--dry-run`, the budget) is derived from the list in index.ts.
import type { HttpClient } from '../engine/http/client.js';
import type { Oracle, OracleReading } from '../engine/oracle.js';
import type { Exchange, HttpRequest, TransportOptions } from '../model/http.js';
import type { AttackMetrics, Finding } from '../model/results.js';
import type { RenderContext } from '../scenario/render.js';
import type { AttackCheck, Scenario, TemplateScope } from '../scenario/types.js';

/** A JSON Schema fragment (the value of `attacks.<id>`). */
export type JsonSchema = Record<string, unknown>;

/** The command-line flags that tune attacks; an attack reads the ones it knows. */
export interface AttackFlags {
  /** `--engine`: how bursts are released. */
  engine?: string;
  /** `--requests`: duplicates per burst. */
  requests?: number;
}

export interface Attack<Id extends string = string, Config = unknown, Obs extends { attack: Id } = { attack: Id }, Metrics extends AttackMetrics = AttackMetrics> {
  readonly id: Id;
  /** One line for --help, `init` and the README table. */
  readonly summary: string;
  /** The fragment for `attacks.<id>` in schema/scenario.schema.json. */
  readonly schema: JsonSchema;
  /** What `metrics` holds beyond the shared fields; checked when merge-reports reads a report back. */
  readonly metricsSchema: JsonSchema;
  readonly defaults: Config;
  /** Its metrics carry a timeline per burst (`timelines`), which the HTML report draws. */
  readonly drawsTimelines?: boolean;
  /** From the YAML value (already valid against `schema`) to the config; absent keys take the defaults. */
  normalize(raw: Record<string, unknown>): Config;
  /** Semantic checks the schema cannot express, with positions. */
  check?: AttackCheck;
  /** Adjusts the config to the scenario and the flags (the flags win over the scenario). */
  configure?(scenario: Scenario, config: Config, flags: AttackFlags): Config;
  /** Why it cannot run on this scenario; undefined when it can. */
  skip(scenario: Scenario, config: Config): string | undefined;
  /** What `--dry-run` prints and `--max-requests` counts: shares its constants with execute. */
  preview(scenario: Scenario, config: Config, ctx: PreviewContext): Preview;
  /** Fires the requests and reads the oracle; decides nothing. */
  execute(env: AttackEnv, config: Config): Promise<Obs>;
  /** Pure: the observation in, findings and metrics out. */
  judge(obs: Obs, ctx: JudgeContext): Judgement<Metrics>;
  /** The terminal's and the HTML report's one-line account of how it was sent. */
  describe?(metrics: Metrics): string;
}

export interface AttackEnv {
  scenario: Scenario;
  scope: TemplateScope;
  client: HttpClient;
  transport: TransportOptions;
  oracle?: Oracle;
  /** The base URL of every instance, rendered; the first is the target (one entry when the scenario names one). */
  instances: string[];
  /** Values the scenario's setup steps captured: `{{ captures.NAME }}` in every run's render context. */
  captures?: Record<string, string>;
  /** Called with every exchange the attack made (oracle reads aside), so reporters can count and `--verbose` can show them. */
  record(...exchanges: Exchange[]): void;
  /** Called before the attack sleeps until `untilMs` (epoch ms) for `what`, so a long wait is not silence. */
  waiting?(what: string, untilMs: number): void;
  /**
   * Runs a burst once no other burst of the run is on any of `origins`
   * (--workers: bursts never overlap on one target). Absent: at once.
   */
  exclusive?<T>(origins: string[], task: () => Promise<T>): Promise<T>;
  /**
   * Aborted when the run is interrupted. The client, the transport options
   * and the oracle carry it already; an attack passes it to its own waits
   * (`sleep(ms, env.signal)`), which then end with Interrupted.
   */
  signal?: AbortSignal;
}

/** One key, one `run.id`, one rendered operation, and the oracle around it. */
export interface Run {
  ctx: RenderContext;
  request: HttpRequest;
  /** Requests of this run sent so far: the next goes to the next instance (round robin). */
  sent: number;
  before?: OracleReading;
  after?: OracleReading;
}

export interface PreviewContext {
  /** A fresh render context per attack run, as a real run would use. */
  newRun(): RenderContext;
  /** Oracle reads one attack run makes at the least (none without an oracle). */
  readsPerRun: number;
  /** Reads of one settle, without the read before (mid-body cuts settle twice). */
  settleReads: number;
  /**
   * The oracle as one attack run reads it `times` times, rendered with that
   * run's own run id (an HTTP request, or the command line of a command
   * oracle); none without an oracle.
   */
  reads(run: RenderContext, times: number, label: string): PlannedRead[];
}

/** Oracle reads of one attack run (or the warming requests before a burst), as they will be made. */
export interface PlannedRead {
  /** Which run, and when: "before and after the run", "burst 2/3: warm-up". */
  label: string;
  /** An HTTP oracle's request (or a warming request): sent over HTTP, so the budget counts it. */
  request?: HttpRequest;
  /** A command oracle's command line: run locally by `sh -c`, it sends nothing over HTTP. */
  command?: string;
  /** How many times at the least (settling polls more while the count moves). */
  times: number;
  /** Made only if this holds, which the run learns as it goes ("every original took ≥ 50 ms"): the budget leaves it out. */
  condition?: string;
}

export interface PlannedRequest {
  label: string;
  request: HttpRequest;
  /** How many times it is sent (a burst sends one request N times). */
  times: number;
  /** Sent to read the oracle or warm the target, not to the operation. */
  warming?: boolean;
  /**
   * Sent only if this holds, which the run learns as it goes ("the first
   * original took ≥ 50 ms"): `--dry-run` prints it as "if …", and the budget,
   * a count of what is sent at the least, leaves it out.
   */
  condition?: string;
}

export interface Preview {
  requests: PlannedRequest[];
  /** Every oracle read (and warming request), per attack run, at the least. */
  reads: PlannedRead[];
  /** Side effects on an API that handles keys correctly (conditional requests aside), and at most on one that ignores them (conditional requests included). */
  effects: { correct: number; atMost: number };
}

export interface JudgeContext {
  scenario: Scenario;
  /** The target with templates rendered, for resolving Location headers. */
  baseUrl: string;
}

export interface Judgement<Metrics extends AttackMetrics = AttackMetrics> {
  findings: Finding[];
  metrics: Metrics;
}

/** Declares an attack with its types inferred from the object. */
export function defineAttack<Id extends string, Config, Obs extends { attack: Id }, Metrics extends AttackMetrics>(
  attack: Attack<Id, Config, Obs, Metrics>,
): Attack<Id, Config, Obs, Metrics> {
  return attack;
}
