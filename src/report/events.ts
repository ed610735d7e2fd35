// One stream of run events, fanned out to every reporter. A reporter that
// throws is reported once and dropped; the run and the other reporters go on.
import type { EventSink, RunEvent } from '../model/events.js';

export interface Reporter {
  readonly name: string;
  onEvent(event: RunEvent): void | Promise<void>;
}

export class ReporterMultiplexer implements EventSink {
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
