// One stream of run events, fanned out to every reporter. A reporter that
// throws is reported once and dropped; the run and the other reporters go on.
import type { AttackId } from '../scenario/types.js';
import type { Exchange } from '../model/http.js';
import type { AttackResult, RunResult, ScenarioResult } from '../model/results.js';

export interface ScenarioRef {
  name: string;
  file: string;
  line: number;
}

export type RunEvent =
  | { type: 'run-begin'; scenarios: { ref: ScenarioRef; attacks: AttackId[] }[] }
  | { type: 'scenario-begin'; scenario: ScenarioRef; target: string }
  | { type: 'attack-begin'; scenario: ScenarioRef; attack: AttackId }
  | { type: 'attack-progress'; scenario: ScenarioRef; attack: AttackId; requestsSent: number }
  /** Every request an attack made, with its response: what `--verbose` prints. */
  | { type: 'exchange'; scenario: ScenarioRef; attack: AttackId; exchange: Exchange }
  | { type: 'attack-end'; scenario: ScenarioRef; result: AttackResult }
  | { type: 'scenario-end'; scenario: ScenarioRef; result: ScenarioResult }
  | { type: 'warning'; message: string }
  | { type: 'run-end'; result: RunResult };

export interface Reporter {
  readonly name: string;
  onEvent(event: RunEvent): void | Promise<void>;
}

export class ReporterMultiplexer {
  private readonly live: Reporter[];

  constructor(
    reporters: Reporter[],
    private readonly onFailure: (reporter: string, error: unknown) => void,
  ) {
    this.live = [...reporters];
  }

  async emit(event: RunEvent): Promise<void> {
    for (const reporter of [...this.live]) {
      try {
        await reporter.onEvent(event);
      } catch (error) {
        this.live.splice(this.live.indexOf(reporter), 1);
        this.onFailure(reporter.name, error);
      }
    }
  }
}
