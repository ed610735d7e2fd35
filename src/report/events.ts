// One stream of run events, fanned out to every reporter. Each event is
// redacted once, here, before any reporter sees it: reporters only ever get
// redacted copies and never redact anything themselves. A reporter that
// throws is reported once and dropped; the run and the other reporters go on,
// and the multiplexer remembers that it failed (for the exit code).
import type { EventSink, RunEvent } from '../model/events.js';
import { Redactor } from '../secrets/redactor.js';

export interface Reporter {
  readonly name: string;
  onEvent(event: RunEvent): void | Promise<void>;
}

export interface MultiplexerOptions {
  /**
   * The run's redactor (the runner adds secret captures to it as they are
   * taken). Default: one that knows no values but still masks credential
   * headers, URL user info and credential query parameters.
   */
  redact?: Redactor;
}

export class ReporterMultiplexer implements EventSink {
  private readonly live: Reporter[];
  private readonly redact: Redactor;
  private readonly failed: string[] = [];

  constructor(
    reporters: Reporter[],
    private readonly onFailure: (reporter: string, error: unknown) => void,
    options: MultiplexerOptions = {},
  ) {
    this.live = [...reporters];
    this.redact = options.redact ?? new Redactor();
  }

  /** The names of the reporters that threw (and were dropped), in order. */
  get failures(): readonly string[] {
    return this.failed;
  }

  async emit(event: RunEvent): Promise<void> {
    // Before the first await: redacted with what the redactor knows when the event is emitted.
    const shown = redactEvent(event, this.redact);
    for (const reporter of [...this.live]) {
      try {
        await reporter.onEvent(shown);
      } catch (error) {
        this.live.splice(this.live.indexOf(reporter), 1);
        this.failed.push(reporter.name);
        this.onFailure(reporter.name, error);
      }
    }
  }
}

/**
 * A redacted copy of an event: targets, warnings, exchanges (URLs, headers
 * by name, whole bodies) and results (reasons, finding messages, evidence,
 * metrics). Scenario names, files and attack ids are the user's own labels
 * and shown as written.
 */
export function redactEvent(event: RunEvent, redact: Redactor): RunEvent {
  switch (event.type) {
    case 'run-begin':
    case 'attack-begin':
    case 'attack-progress':
    case 'interrupted':
    case 'running':
      return event;
    case 'scenario-begin':
      return { ...event, target: redact.text(event.target) };
    case 'attack-wait':
      return { ...event, what: redact.text(event.what) };
    case 'exchange':
      return { ...event, exchange: redact.exchange(event.exchange) };
    case 'attack-end':
      return { ...event, result: redact.attack(event.result) };
    case 'scenario-end':
      return { ...event, result: redact.scenario(event.result) };
    case 'attempt':
      return { ...event, attempt: redact.attempt(event.attempt) };
    case 'warning':
      return { ...event, message: redact.text(event.message) };
    case 'run-end':
      return { ...event, result: redact.run(event.result) };
    default:
      return unknownEvent(event);
  }
}

/** A new event type must say how it is redacted: this does not compile until it does. */
function unknownEvent(event: never): never {
  throw new Error(`no redaction rule for event ${JSON.stringify((event as { type?: unknown }).type)}`);
}
