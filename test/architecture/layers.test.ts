// The folders of src/ are layers, in the order of the data flow; an import
// may only reach down (or sideways within its own folder), never up.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/harness.js';

/** Lowest first. Folders of one rank may not import each other. */
const LAYERS: string[][] = [
  ['model'],
  ['scenario'],
  ['secrets'],
  ['engine', 'demo'],
  ['judge'],
  ['attacks'],
  ['plan'],
  ['run'],
  ['report', 'openapi'],
  ['cli'],
];

function rank(folder: string): number {
  const i = LAYERS.findIndex((layer) => layer.includes(folder));
  assert.ok(i >= 0, `src/${folder}/ is in no layer: add it to LAYERS in ${path.relative(ROOT, import.meta.filename ?? '')}`);
  return i;
}

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(p);
    else if (entry.name.endsWith('.ts')) yield p;
  }
}

test('no import in src/ runs from a lower layer to a higher one', () => {
  const src = path.join(ROOT, 'src');
  const wrong: string[] = [];
  for (const file of sources(src)) {
    const from = path.relative(src, file).split(path.sep)[0]!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = path.relative(src, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
      if (target === from) continue;
      if (rank(target) >= rank(from)) wrong.push(`${path.relative(ROOT, file)} imports ${m[1]} (${from} may not use ${target})`);
    }
  }
  assert.deepEqual(wrong, []);
});
