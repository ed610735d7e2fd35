// What the pipeline does when its run is interrupted (the CLI aborts the
// run's signal on SIGINT or SIGTERM): no new work, what is in flight ends
// within a bound, teardown still runs (bounded), and the result says which
// attacks did not finish.
import { HttpClient } from '../engine/http/client.js';
import type { TransportOptions } from '../model/http.js';
import type { EventSink } from '../model/events.js';
import { INTERRUPTED, Interrupted } from '../model/errors.js';
import type { AttackResult, Evidence } from '../model/results.js';
import type { AttackPlan, ScenarioPlan } from '../plan/plan.js';

/**
 * How long an attack in flight may take to end after the signal. The
 * transports, the oracle and the attacks' waits end at once on their own;
 * this bounds an attack that waits on something that does not.
 */
export const IN_FLIGHT_GRACE_MS = 1_000;

/** All teardown steps of a scenario together, once the run is interrupted. */
export const TEARDOWN_BOUND_MS = 5_000;

/** Why an attack that never started has no verdict. */
export const NOT_STARTED = `${INTERRUPTED} before it started`;

/** The transport options with the run's signal, so every exchange made with them ends when the run is interrupted. */
export function withSignal(transport: TransportOptions, signal: AbortSignal | undefined): TransportOptions {
  return signal ? { ...transport, signal } : transport;
}

/**
 * The work's own outcome; once signal is aborted, at most graceMs more, then
 * Interrupted (the work goes on in the background: nothing waits for it).
 */
export function untilInterrupted<T>(work: Promise<T>, signal: AbortSignal | undefined, graceMs = IN_FLIGHT_GRACE_MS): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => reject(new Interrupted()), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * A client of its own for the teardown steps: they run also when the run
 * was interrupted (they clean up what the attacks left), so the run's signal
 * does not stop them; from the interruption on, TEARDOWN_BOUND_MS does, with
 * each step's timeout cut to it. Dispose of it when teardown is done.
 */
export function teardownClient(transport: TransportOptions, interrupt: AbortSignal | undefined): { client: HttpClient; dispose(): Promise<void> } {
  const base: TransportOptions = { ...transport };
  delete base.signal;
  if (!interrupt) {
    const client = new HttpClient(base);
    return { client, dispose: () => client.close() };
  }
  const bound = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const start = (): void => {
    timer = setTimeout(() => bound.abort(), TEARDOWN_BOUND_MS);
  };
  if (interrupt.aborted) start();
  else interrupt.addEventListener('abort', start, { once: true });
  const timeoutMs = interrupt.aborted ? Math.min(base.timeoutMs, TEARDOWN_BOUND_MS) : base.timeoutMs;
  const client = new HttpClient({ ...base, timeoutMs, signal: bound.signal });
  return {
    client,
    dispose: async () => {
      clearTimeout(timer);
      interrupt.removeEventListener('abort', start);
      await client.close();
    },
  };
}

/** An attack stopped by the interruption (in flight, or never started): "could not test", with what it had sent. */
export function interruptedResult(attack: AttackPlan, plan: ScenarioPlan, ms: number, reason: string, evidence?: Evidence): AttackResult {
  const result: AttackResult = {
    attack: attack.id,
    verdict: attack.skip ? 'skip' : 'error',
    reason: attack.skip ?? reason,
    responseOnly: plan.responseOnly,
    durationMs: Math.round(ms),
    metrics: {},
    findings: [],
  };
  if (!attack.skip && evidence) result.errorEvidence = evidence;
  return result;
}

/** Tells the reporters once, when the signal aborts; returns the function that stops listening. */
export function announceInterruption(signal: AbortSignal | undefined, events: EventSink): () => void {
  if (!signal) return () => undefined;
  const announce = (): void => {
    const reason: unknown = signal.reason;
    void events.emit(typeof reason === 'string' ? { type: 'interrupted', signal: reason } : { type: 'interrupted' });
  };
  if (signal.aborted) {
    announce();
    return () => undefined;
  }
  signal.addEventListener('abort', announce, { once: true });
  return () => signal.removeEventListener('abort', announce);
}
