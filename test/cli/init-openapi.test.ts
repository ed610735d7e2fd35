// `idemchaos init --from` through the real executable: what it says it took
// and left out, that `validate` accepts what it wrote, that a second run
// changes nothing, that edited files are kept unless --force, and its usage
// errors (exit 2).
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { cli, ROOT, tempDir } from '../helpers/harness.js';
import { show } from '../helpers/cli.js';

const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', 'openapi', name);

test('init --from writes one file per operation, says why, and validate accepts every file as written', async () => {
  const dir = await tempDir();
  const out = path.join(dir, 'scenarios');
  const r = await cli(['init', '--from', fixture('svix.json'), '--out', out]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /Svix API 1\.4 \(OpenAPI 3\.0\.2, .*svix\.json\): 6 operations/);
  assert.match(r.stdout, /took 2:\n  POST \/api\/v1\/app\/ +it declares the header parameter idempotency-key\n/);
  assert.match(r.stdout, /left out 4:\n(.*\n)*  DELETE \/api\/v1\/app\/\{app_id\}\/ +it declares the header parameter idempotency-key, but DELETE is idempotent/);
  assert.match(r.stdout, /wrote 2:\n/);
  const files = (await readdir(out)).sort();
  assert.deepEqual(files, ['create_application_api_v1_app__post.yaml', 'create_message_api_v1_app__app_id__msg__post.yaml']);

  const v = await cli(['validate', out]);
  assert.equal(v.code, 0, show(v));
  assert.match(v.stdout, /2 files, 2 scenarios: valid/);
  // Only the values a run supplies are missing, and they are warnings.
  assert.match(v.stderr, /warning: undefined variable 'env\.BASE_URL'/);
  assert.match(v.stderr, /warning: undefined variable 'secrets\.TOKEN'/);
  assert.doesNotMatch(v.stderr, /^error/m);
});

test('init --from a second time changes nothing; an edited file is kept and named, --force overwrites it', async () => {
  const dir = await tempDir();
  const out = path.join(dir, 's');
  const args = ['init', '--from', fixture('edge/swagger2-no-examples.yaml'), '--out', out];
  const first = await cli(args);
  assert.equal(first.code, 0, show(first));
  const file = path.join(out, 'openTicket.yaml');
  const original = await readFile(file, 'utf8');

  const again = await cli(args);
  assert.equal(again.code, 0, show(again));
  assert.match(again.stdout, /unchanged 2:\n/);
  assert.doesNotMatch(again.stdout, /wrote/);
  assert.equal(await readFile(file, 'utf8'), original);

  await writeFile(file, `${original}# my own note\n`);
  const kept = await cli(args);
  assert.equal(kept.code, 0, show(kept));
  assert.match(kept.stdout, new RegExp(`kept 1 \\(they exist and differ from what the document gives now; --force overwrites them\\):\\n  ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  assert.match(await readFile(file, 'utf8'), /# my own note/);

  const forced = await cli([...args, '--force']);
  assert.equal(forced.code, 0, show(forced));
  assert.match(forced.stdout, /wrote 1:\n/);
  assert.equal(await readFile(file, 'utf8'), original);
});

test('init --from: usage errors exit 2 and name what is wrong', async () => {
  const dir = await tempDir();
  const broken = await cli(['init', '--from', fixture('edge/broken-missing-ref.yaml'), '--out', dir]);
  assert.equal(broken.code, 2, show(broken));
  assert.match(broken.stderr, /is not a valid OpenAPI document \(1 problem\):\n\nerror: Missing \$ref pointer "#\/components\/parameters\/IdempotencyKey"/);
  assert.match(broken.stderr, /--> .*broken-missing-ref\.yaml:7:17\n  \|\n7 \| {9}- \$ref: "#\/components\/parameters\/IdempotencyKey"\n/);

  const none = await cli(['init', '--from', fixture('petstore-swagger2.yaml'), '--out', dir]);
  assert.equal(none.code, 2, show(none));
  assert.match(none.stdout, /left out 20:/);
  assert.match(none.stderr, /no operation of .* declares the Idempotency-Key header .*pass --all-posts/);
  assert.deepEqual(await readdir(dir), [], 'nothing written');

  const withFile = await cli(['init', 'x.yaml', '--from', fixture('svix.json')], { cwd: dir });
  assert.equal(withFile.code, 2, show(withFile));
  assert.match(withFile.stderr, /name the folder with --out, not 'x\.yaml'/);

  const noFrom = await cli(['init', '--operation', 'POST /orders', '--all-posts'], { cwd: dir });
  assert.equal(noFrom.code, 2, show(noFrom));
  assert.match(noFrom.stderr, /--operation, --all-posts need --from <openapi document>/);

  const unknown = await cli(['init', '--from', fixture('svix.json'), '--operation', 'POST /api/v1/apps', '--out', dir]);
  assert.equal(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /did you mean "POST \/api\/v1\/app\/"\?/);

  const preset = await cli(['init', '--from', fixture('svix.json'), '--preset', 'strpe', '--out', dir]);
  assert.equal(preset.code, 2, show(preset));
  assert.match(preset.stderr, /unknown preset 'strpe'; did you mean 'stripe'\?/);
});

test('init --help names the --from flags', async () => {
  const r = await cli(['init', '--help']);
  assert.equal(r.code, 0, show(r));
  for (const flag of ['--from <openapi>', '--out <dir>', '--operation', '--all-posts', '--preset <name>', '--force']) assert.ok(r.stdout.includes(flag), flag);
});
