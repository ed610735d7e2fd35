// Bad input ends in one clear message on stderr and its exit code, never a
// stack trace: the error's kind says which.
import { IdemchaosError, type ErrorKind } from '../model/errors.js';
import { formatMessages, ScenarioError } from '../scenario/errors.js';
import { EXIT } from './exit-codes.js';

/** A flag's value is wrong. */
export class FlagError extends IdemchaosError {
  constructor(message: string) {
    super('usage', message);
  }
}

const EXIT_BY_KIND: Record<ErrorKind, number> = {
  usage: EXIT.usage,
  'could-not-test': EXIT.couldNotTest,
};

/** Prints an IdemchaosError and returns its exit code; anything else is a bug of ours and is rethrown. */
export function reportSetupError(err: unknown): number {
  if (!(err instanceof IdemchaosError)) throw err;
  if (err instanceof ScenarioError) {
    process.stderr.write(`${formatMessages([...err.messages, ...err.warnings], err.sources)}\n\n${err.message}\n`);
  } else {
    process.stderr.write(`idemchaos: ${err.message}\n`);
  }
  return EXIT_BY_KIND[err.kind];
}
