// Which files to load: files as given, directories searched for *.yaml / *.yml.
import { IdemchaosError } from '../model/errors.js';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** A mistake in how the command was called (exit code 2 territory), not in a scenario. */
export class UsageError extends IdemchaosError {
  constructor(message: string) {
    super('usage', message);
  }
}

const SCENARIO_FILE = /\.ya?ml$/i;

/**
 * Files named directly are taken as they are (whatever their extension);
 * directories are searched recursively for *.yaml and *.yml, skipping hidden
 * directories and node_modules. The result is deduplicated and sorted by path.
 */
export async function findScenarioFiles(inputs: string[]): Promise<string[]> {
  if (inputs.length === 0) throw new UsageError('no scenario files given');
  const found = new Map<string, string>();
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new UsageError(`no such file or directory: ${input}`);
    }
    const files = info.isDirectory() ? await walk(input) : [input];
    for (const file of files) {
      const key = path.resolve(file);
      if (!found.has(key)) found.set(key, path.normalize(file));
    }
  }
  if (found.size === 0) throw new UsageError(`no scenario files found in ${inputs.join(', ')}`);
  return [...found.values()].sort(comparePaths);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      out.push(...(await walk(full)));
    } else if (SCENARIO_FILE.test(entry.name) && (entry.isFile() || (await isFile(full)))) {
      out.push(full);
    }
  }
  return out;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Plain code-unit order, segment by segment, so `a/b.yaml` sorts before `a-b.yaml`. */
function comparePaths(a: string, b: string): number {
  const sa = a.split(path.sep);
  const sb = b.split(path.sep);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1;
  }
  return sa.length - sb.length;
}

