// The one stream of events a run emits; reporters render it and never touch
// the network.
import type { Exchange } from './http.js';
import type { ProxyAttempt } from './proxy.js';
import type { AttackResult, RunResult, ScenarioResult } from './results.js';

export interface ScenarioRef {
  name: string;
  /** The scenario file; for a probe, its command line (redacted). */
  file: string;
  /** 0 when `file` is not a file (a probe). */
  line: number;
}

export type RunEvent =
  | { type: 'run-begin'; scenarios: { ref: ScenarioRef; attacks: string[] }[] }
  | { type: 'scenario-begin'; scenario: ScenarioRef; target: string }
  | { type: 'attack-begin'; scenario: ScenarioRef; attack: string }
  | { type: 'attack-progress'; scenario: ScenarioRef; attack: string; requestsSent: number }
  /** An attack sleeps until `until` (epoch ms) for `what`, e.g. a retry after the ttl: reporters say so while it lasts. */
  | { type: 'attack-wait'; scenario: ScenarioRef; attack: string; what: string; until: number }
  /** Every request an attack made, with its response: what `--verbose` prints. */
  | { type: 'exchange'; scenario: ScenarioRef; attack: string; exchange: Exchange }
  | { type: 'attack-end'; scenario: ScenarioRef; result: AttackResult }
  /**
   * With --workers above 1: every attack running at this moment, told at once
   * (the other events of a scenario wait until those before it are told).
   * For a live line; the other reporters ignore it.
   */
  | { type: 'running'; attacks: { scenario: ScenarioRef; attack: string; since: number }[] }
  | { type: 'scenario-end'; scenario: ScenarioRef; result: ScenarioResult }
  /** `idemchaos proxy`: one attempt of an operation under audit, when the proxy is done with it. */
  | { type: 'attempt'; operation: number; retry: boolean; attempt: ProxyAttempt }
  | { type: 'warning'; message: string }
  /** The run was interrupted (by `signal`, when a process signal did it): what is in flight is ending, the reports follow. */
  | { type: 'interrupted'; signal?: string }
  | { type: 'run-end'; result: RunResult };

/** Where a run sends its events (the reporters' multiplexer, or nothing). */
export interface EventSink {
  emit(event: RunEvent): Promise<void>;
}
