// Bad input ends in one clear message on stderr and exit 2, never a stack trace.
import { UsageError } from '../scenario/discover.js';
import { formatMessages, ScenarioError } from '../scenario/errors.js';
import { PlanError } from '../plan/plan.js';
import { EXIT } from './exit-codes.js';

/** A flag's value is wrong. */
export class FlagError extends Error {}

export function reportSetupError(err: unknown): number {
  if (err instanceof ScenarioError) {
    process.stderr.write(`${formatMessages([...err.messages, ...err.warnings], err.sources)}\n\n${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof PlanError || err instanceof FlagError) {
    process.stderr.write(`idemchaos: ${err.message}\n`);
    return EXIT.usage;
  }
  throw err;
}
