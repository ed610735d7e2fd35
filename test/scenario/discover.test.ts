import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findScenarioFiles, UsageError } from '../../src/scenario/discover.js';

let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'idemchaos-discover-'));
  for (const dir of ['s/nested/deeper', 's/.hidden', 's/node_modules/pkg', 'empty']) await mkdir(path.join(root, dir), { recursive: true });
  for (const file of ['s/b.yaml', 's/a.yml', 's/nested/c.YAML', 's/nested/deeper/d.yaml', 's/notes.txt', 's/.hidden/x.yaml', 's/node_modules/pkg/y.yaml', 'single.json']) {
    await writeFile(path.join(root, file), 'name: x\n');
  }
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findScenarioFiles', () => {
  it('searches directories recursively for yaml files, in sorted path order', async () => {
    const dir = path.join(root, 's');
    assert.deepEqual(await findScenarioFiles([dir]), [
      path.join(dir, 'a.yml'),
      path.join(dir, 'b.yaml'),
      path.join(dir, 'nested', 'c.YAML'),
      path.join(dir, 'nested', 'deeper', 'd.yaml'),
    ]);
  });

  it('takes files as given, whatever their extension, and deduplicates', async () => {
    const dir = path.join(root, 's');
    const single = path.join(root, 'single.json');
    const files = await findScenarioFiles([path.join(dir, 'nested'), single, path.join(dir, 'nested', 'c.YAML'), `${dir}/nested/../nested/c.YAML`]);
    assert.deepEqual(files, [path.join(dir, 'nested', 'c.YAML'), path.join(dir, 'nested', 'deeper', 'd.yaml'), single].sort());
  });

  it('keeps relative paths relative', async () => {
    const rel = path.relative(process.cwd(), path.join(root, 's', 'b.yaml'));
    assert.deepEqual(await findScenarioFiles([rel]), [rel]);
  });

  it('rejects a missing path with a UsageError', async () => {
    const missing = path.join(root, 'nope');
    await assert.rejects(findScenarioFiles([missing]), (e: unknown) => e instanceof UsageError && e.message === `no such file or directory: ${missing}`);
  });

  it('rejects a search that finds nothing', async () => {
    const empty = path.join(root, 'empty');
    await assert.rejects(findScenarioFiles([empty]), (e: unknown) => e instanceof UsageError && e.message === `no scenario files found in ${empty}`);
    await assert.rejects(findScenarioFiles([]), UsageError);
  });
});
