// `--shard i/n`: deal scenarios round-robin over a CI matrix. The order is
// (path relative to the working directory, index in file), so every shard of
// the same checkout agrees on who runs what.
import path from 'node:path';
import type { Scenario } from '../scenario/types.js';

export interface Shard {
  index: number;
  total: number;
}

export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `--shard expects i/n, such as 1/3; got '${text}'`;
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || index < 1 || index > total) return `--shard ${text}: i must be between 1 and n`;
  return { index, total };
}

export function selectShard(scenarios: Scenario[], shard: Shard, cwd = process.cwd()): Scenario[] {
  const ordered = [...scenarios].sort((a, b) => {
    const pa = path.relative(cwd, path.resolve(a.file));
    const pb = path.relative(cwd, path.resolve(b.file));
    return pa < pb ? -1 : pa > pb ? 1 : a.index - b.index;
  });
  return ordered.filter((_, k) => k % shard.total === shard.index - 1);
}
