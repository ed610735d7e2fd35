// One error type for everything that ends a command or an attack early: its
// kind says what the user can do about it, and the CLI maps kinds to exit codes.
import type { Exchange } from './http.js';

export type ErrorKind =
  /** Bad flag, file, scenario or report: the user's input (exit 2). */
  | 'usage'
  /** The target could not be tested as asked (exit 3 when it ends the command). */
  | 'could-not-test';

export class IdemchaosError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The attack could not be tested (the first request failed, a transport error, the oracle failed). */
export class CannotTest extends IdemchaosError {
  constructor(
    message: string,
    readonly exchanges: Exchange[] = [],
    /** Set when a transport failure caused it: 'connect' and 'tls' mean the target is unreachable. */
    readonly transport?: Exchange['errorKind'],
  ) {
    super('could-not-test', message);
  }
}

/** What an interrupted run (SIGINT, SIGTERM) says about the attacks it stopped. */
export const INTERRUPTED = 'interrupted';

/** The run was interrupted: whatever was in flight stops here, and its attack could not be tested. */
export class Interrupted extends CannotTest {
  constructor() {
    super(INTERRUPTED);
  }
}
