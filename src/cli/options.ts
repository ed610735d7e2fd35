// Flags shared by `run` and `probe`, parsed into what the steps need.
import { constants as bufferConstants } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseDuration } from '../scenario/duration.js';
import { ATTACK_IDS, type AttackId } from '../attacks/index.js';
import type { TransportOptions } from '../model/http.js';
import { parseShard, type Shard } from '../plan/shard.js';
import { FlagError } from './errors.js';
import { buildScope } from '../scenario/scope.js';
import type { TemplateScope } from '../scenario/types.js';

/** env (with --env-file beneath the real environment), --var, and secrets from --secret and IDEMCHAOS_SECRET_*. */
export function scopeFrom(flags: Pick<CommonFlags, 'var' | 'secret' | 'envFile'>): TemplateScope {
  return buildScope({
    env: process.env,
    vars: parseVars(flags.var ?? []),
    secretFlags: flags.secret ?? [],
    ...(flags.envFile ? { envFile: flags.envFile } : {}),
  });
}

export interface CommonFlags {
  var?: string[];
  secret?: string[];
  envFile?: string;
  preset?: string;
  attack?: string;
  reportJson?: string;
  timeout: string;
  /** `--max-response-size`: a size such as 16MiB (the default), 512KiB or 1048576. */
  maxResponseSize: string;
  insecure?: boolean;
  ca?: string;
  list?: boolean;
  dryRun?: boolean;
  maxRequests?: string;
  shard?: string;
  engine?: string;
  requests?: string;
  repeat?: string;
  workers?: string;
  reportJunit?: string;
  reportMarkdown?: string;
  reportHtml?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export function parseVars(pairs: string[], flag = '--var'): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new FlagError(`${flag} expects NAME=VALUE, got '${pair}'`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

export function parseAttackList(list: string | undefined): AttackId[] | undefined {
  if (list === undefined) return undefined;
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(ATTACK_IDS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new FlagError(`--attack: unknown attack '${unknown[0] ?? list}' (attacks: ${ATTACK_IDS.join(', ')})`);
  }
  return ids as AttackId[];
}

export function parsePositiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new FlagError(`${flag} expects a whole number of at least 1, got '${value}'`);
  return Number(value);
}

/** Most scenarios at once: beyond this, a run only queues more work on the target than it can watch. */
export const MAX_WORKERS = 64;

/** `--workers`: how many scenarios at once; default the number of CPUs, like Playwright Test. */
export function parseWorkers(value: string | undefined): number {
  const n = parsePositiveInt(value, '--workers');
  if (n !== undefined && n > MAX_WORKERS) throw new FlagError(`--workers expects at most ${MAX_WORKERS}, got ${n}`);
  return n ?? Math.min(MAX_WORKERS, os.availableParallelism());
}

export function parseShardFlag(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const shard = parseShard(value);
  if (typeof shard === 'string') throw new FlagError(shard);
  return shard;
}

export function durationFlag(value: string, flag: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new FlagError(`${flag}: ${(err as Error).message}`);
  }
  if (!(ms > 0)) throw new FlagError(`${flag} must be more than 0`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * A size in bytes: a whole number of bytes (`1048576`), or a number with B,
 * KiB, MiB or GiB (`512KiB`, `1.5MiB`, `16 MiB`; case does not matter) that
 * comes to whole bytes. Decimal units (KB, MB) are refused with a hint rather
 * than guessed at. At least 1 byte, at most what one Node buffer holds.
 */
export function sizeFlag(value: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const usage = `${flag} expects a size such as 16MiB, 512KiB or 1048576 (bytes), got '${value}'`;
  if (!m) throw new FlagError(usage);
  const unit = m[2]!.toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) {
    const hint = /^[kmg]b?$/.test(unit) ? `: use ${unit[0]!.toUpperCase()}iB (sizes are binary, 1 KiB = 1024 bytes)` : ' (units: B, KiB, MiB, GiB)';
    throw new FlagError(`${flag}: unknown unit '${m[2]}' in '${value}'${hint}`);
  }
  const bytes = Number(m[1]) * factor;
  if (!Number.isInteger(bytes)) throw new FlagError(`${flag}: '${value}' is not a whole number of bytes`);
  if (bytes < 1) throw new FlagError(`${flag} must be at least 1 byte`);
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new FlagError(`${flag}: '${value}' is more than one response body can be held in memory (${bufferConstants.MAX_LENGTH} bytes)`);
  }
  return bytes;
}

export async function transportOptions(flags: CommonFlags): Promise<TransportOptions> {
  const options: TransportOptions = {
    timeoutMs: durationFlag(flags.timeout, '--timeout'),
    maxResponseBytes: sizeFlag(flags.maxResponseSize, '--max-response-size'),
  };
  if (flags.insecure) options.insecure = true;
  if (flags.ca) {
    try {
      options.ca = await readFile(flags.ca);
    } catch (err) {
      throw new FlagError(`--ca: cannot read ${flags.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return options;
}
