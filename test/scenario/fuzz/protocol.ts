// What the property test sends the loader worker, and what comes back.
import type { ScenarioMessage } from '../../../src/scenario/errors.js';

export interface Job {
  /** The bytes of each file, loaded together in this order. */
  files: Uint8Array[];
  undefinedVariables: 'error' | 'warn';
}

/** A message, with the number of lines of its file and the length of its line (-1: no such line). */
export interface Located extends ScenarioMessage {
  lineCount: number;
  lineLength: number;
}

export type Outcome =
  | {
      kind: 'loaded';
      ms: number;
      files: string[];
      scenarios: Record<string, unknown>[];
      /** Per scenario: 'ok', or the usage error planning refused it with. */
      planned: string[];
      warnings: Located[];
      /** Characters of the formatted warnings. */
      formatted: number;
    }
  | { kind: 'rejected'; files: string[]; messages: Located[]; warnings: Located[]; formatted: number }
  | { kind: 'crashed'; files: string[]; error: string }
  /** The worker itself: out of time (the case was stopped) or dead (out of memory, a native crash). */
  | { kind: 'timeout'; ms: number }
  | { kind: 'died'; error: string };
