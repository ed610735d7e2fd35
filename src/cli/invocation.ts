// How this idemchaos was started and where it is installed, so the commands
// and paths it prints (`init`'s hints, the starter's $schema line) work from
// where the user is: `npx idemchaos` inside a project that installed it,
// `idemchaos` when it is on PATH (`npm link`, `npm install -g`), else the
// path it was run by.
import { accessSync, constants, realpathSync } from 'node:fs';
import path from 'node:path';
import { findSchemaFile } from '../scenario/schema-file.js';
import { shellQuote } from './shell.js';

export interface Invocation {
  /** process.argv[1]: the script as it was run (a PATH symlink stays a symlink). */
  script: string;
  env: NodeJS.ProcessEnv;
}

const here = (): Invocation => ({ script: process.argv[1] ?? '', env: process.env });

/** The command to print for running idemchaos again, e.g. `idemchaos`, `npx idemchaos`, `/opt/tools/bin/idemchaos`. */
export function commandName(inv: Invocation = here()): string {
  // npx / npm exec put the package's bin on a PATH the user's shell does not have.
  if (inv.env['npm_command'] === 'exec') return 'npx idemchaos';
  const self = realpath(inv.script);
  for (const dir of (inv.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'idemchaos');
    // The first idemchaos on PATH is the one a shell runs: only this one will do.
    if (executable(candidate)) {
      if (self !== undefined && realpath(candidate) === self) return 'idemchaos';
      break;
    }
  }
  const script = path.resolve(inv.script);
  return executable(script) ? shellQuote(script) : `${shellQuote(process.execPath)} ${shellQuote(script)}`;
}

/**
 * The starter's `$schema` reference for a scenario written in `dir`: the
 * installed package's schema relative to it when the package sits in that
 * folder's node_modules (a project dependency), else the schema's absolute
 * path (a global install, `npm link`, or a clone); `portable` is false then,
 * since that path holds on this machine only.
 */
export function schemaReference(dir: string, schemaFile: string = findSchemaFile()): { ref: string; portable: boolean } {
  const local = path.join(dir, 'node_modules', 'idemchaos');
  const rel = path.relative(local, schemaFile);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { ref: `./${path.posix.join('node_modules', 'idemchaos', ...rel.split(path.sep))}`, portable: true };
  }
  return { ref: realpath(schemaFile) ?? schemaFile, portable: false };
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return !file.endsWith(path.sep);
  } catch {
    return false;
  }
}

function realpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
