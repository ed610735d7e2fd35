// Temp scenario files for the loader tests.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScenarioError } from '../../src/scenario/errors.js';
import type { ScenarioMessage } from '../../src/scenario/errors.js';
import { loadScenarios } from '../../src/run/load.js';
import type { LoadOptions } from '../../src/scenario/load.js';

export const scope = {
  env: { BASE_URL: 'http://api.test', TOKEN: 't0k3n' } as Record<string, string | undefined>,
  vars: { tenant: 'acme' },
  secrets: { apiKey: 'k' },
};

export class TempDir {
  private constructor(readonly root: string) {}

  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(path.join(tmpdir(), 'idemchaos-scenario-')));
  }

  /** Writes the file and returns its path. */
  async file(name: string, text: string): Promise<string> {
    const file = path.join(this.root, name);
    await writeFile(file, text);
    return file;
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The ScenarioError the load throws (fails when it loads). */
export async function loadError(files: string[], options: Partial<LoadOptions> = {}): Promise<ScenarioError> {
  try {
    await loadScenarios(files, { scope, ...options });
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected the load to fail');
}

/** `line:col message`, the way the tests compare messages. */
export function brief(messages: ScenarioMessage[]): string[] {
  return messages.map((m) => `${path.basename(m.file)}:${m.line}:${m.col}${m.endCol ? `-${m.endCol}` : ''} ${m.message}`);
}
