// SIGINT and SIGTERM while a run is going: the first aborts the run's signal
// (the pipeline stops starting work, ends what is in flight, runs teardown
// and still writes every report), a second exits at once. Installed only for
// the run itself; outside it the signals keep node's default (exit at once).
import { setMaxListeners } from 'node:events';
import { EXIT } from './exit-codes.js';

const EXIT_BY_SIGNAL = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;
type HandledSignal = keyof typeof EXIT_BY_SIGNAL;
const SIGNALS = Object.keys(EXIT_BY_SIGNAL) as HandledSignal[];

/**
 * How long the process may stay up after an interrupted run has written its
 * reports. The pipeline closes everything it opened, so the process ends on
 * its own well before; this only keeps a stray handle from holding a user
 * who asked to stop.
 */
const LINGER_MS = 2_000;

export interface Interruption {
  /** Aborted (its reason the signal's name) at the first signal. */
  readonly signal: AbortSignal;
  /** 130 or 143 once a signal came; undefined otherwise. */
  readonly exitCode: number | undefined;
  /** Removes the handlers; after an interruption, ends the process should anything still hold it after LINGER_MS. */
  dispose(): void;
}

export function interruptOnSignals(): Interruption {
  const controller = new AbortController();
  // Every connection of a burst listens to it (a thousand at once is normal): no "possible leak" warning on stderr.
  setMaxListeners(0, controller.signal);
  let received: HandledSignal | undefined;
  const onSignal = (name: HandledSignal): void => {
    if (received) {
      process.stderr.write(`idemchaos: ${name} again: exiting at once, reports not finished\n`);
      process.exit(EXIT_BY_SIGNAL[name]);
    }
    received = name;
    controller.abort(name);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    get exitCode() {
      return received ? EXIT_BY_SIGNAL[received] : undefined;
    },
    dispose() {
      for (const name of SIGNALS) process.off(name, onSignal);
      if (!received) return;
      const code = EXIT_BY_SIGNAL[received];
      setTimeout(() => {
        process.stderr.write(`idemchaos: still busy ${LINGER_MS} ms after the reports were written: exiting\n`);
        process.exit(code);
      }, LINGER_MS).unref();
    },
  };
}
