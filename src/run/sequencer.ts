// With --workers, scenarios and attacks finish in any order, but reporters
// must read the same stream whatever that order was. The sequencer hands out
// lanes in file order (a scenario's start, each of its attacks, its end) and
// passes a lane's events on only once every lane before it has closed:
// until then they wait in the lane. What is running right now is told apart,
// at once, in `running` events for the live line.
import type { EventSink, RunEvent, ScenarioRef } from '../model/events.js';

export interface Lane extends EventSink {
  /** Nothing more comes on this lane: the lanes after it may go on. */
  close(): void;
}

interface LaneState {
  buffer: RunEvent[];
  closed: boolean;
}

export class Sequencer {
  private chain: Promise<void> = Promise.resolve();
  private head = 0;
  private readonly lanes: LaneState[] = [];
  private readonly running = new Map<string, { scenario: ScenarioRef; attack: string; since: number }>();

  /** `announceRunning`: emit `running` events (only worth it when several things run at once). */
  constructor(
    private readonly sink: EventSink,
    private readonly announceRunning = false,
  ) {}

  /** Straight through, in the order asked: run-begin, run-end, the interruption notice. */
  readonly direct: EventSink = { emit: (event) => this.enqueue(event) };

  /** A new lane, after every lane opened before it. */
  lane(): Lane {
    const index = this.lanes.length;
    const state: LaneState = { buffer: [], closed: false };
    this.lanes.push(state);
    return {
      emit: (event) => {
        this.track(event);
        if (index === this.head) return this.enqueue(event);
        state.buffer.push(event);
        return Promise.resolve();
      },
      close: () => {
        state.closed = true;
        while (this.head < this.lanes.length && this.lanes[this.head]!.closed) {
          this.head += 1;
          const next = this.lanes[this.head];
          if (next) for (const event of next.buffer.splice(0)) void this.enqueue(event);
        }
      },
    };
  }

  /** Resolves when every event handed over so far has reached the sink. */
  drained(): Promise<void> {
    return this.chain;
  }

  // One chain, so events reach the sink one at a time and in the order given.
  private enqueue(event: RunEvent): Promise<void> {
    this.chain = this.chain.then(() => this.sink.emit(event)).catch(() => undefined);
    return this.chain;
  }

  private track(event: RunEvent): void {
    if (!this.announceRunning) return;
    if (event.type === 'attack-begin') this.running.set(runningKey(event.scenario, event.attack), { scenario: event.scenario, attack: event.attack, since: Date.now() });
    else if (event.type === 'attack-end') this.running.delete(runningKey(event.scenario, event.result.attack));
    else return;
    void this.enqueue({ type: 'running', attacks: [...this.running.values()] });
  }
}

function runningKey(scenario: ScenarioRef, attack: string): string {
  return `${scenario.file}\0${scenario.line}\0${scenario.name}\0${attack}`;
}
