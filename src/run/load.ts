// Scenario files in, with every attack's own checks and config: the loader
// (src/scenario) knows attacks only through the syntax they hand it.
import { ANY_ATTACKS } from '../attacks/index.js';
import * as scenarios from '../scenario/load.js';

type Options = Omit<scenarios.LoadOptions, 'attacks'>;

export function loadScenarios(files: string[], options: Options): Promise<scenarios.LoadResult> {
  return scenarios.loadScenarios(files, { ...options, attacks: ANY_ATTACKS });
}

/** One file's text (probe builds its scenario in memory). */
export function loadFile(file: string, text: string, options: Options): ReturnType<typeof scenarios.loadFile> {
  return scenarios.loadFile(file, text, { ...options, attacks: ANY_ATTACKS });
}
