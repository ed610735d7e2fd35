// The `attacks:` part of schema/scenario.schema.json is made from the attack
// modules: the committed file must be what they make. To bring it up to date:
//   npm run schema
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { ATTACK_IDS } from '../../src/attacks/index.js';
import { withAttacks } from '../../src/attacks/schema.js';
import { findSchemaFile, schemaAttackIds } from '../../src/scenario/schema-file.js';

test('schema/scenario.schema.json holds the attacks part the modules make', () => {
  const file = findSchemaFile();
  const committed = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, unknown> };
  const made = withAttacks(committed);
  if (process.env['IDEMCHAOS_WRITE_SCHEMA'] === '1') writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`);
  assert.deepEqual(committed, JSON.parse(JSON.stringify(made)), 'the schema file is stale: regenerate it (see the top of this test)');
});

test('--help and the validator read the attack ids, in run order, from the schema file', () => {
  assert.deepEqual(schemaAttackIds(), [...ATTACK_IDS]);
});
