import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scenarioSchema, scenarioValidator, schemaText } from '../../src/scenario/schema.js';
import { findSchemaFile } from '../../src/scenario/schema-file.js';

type Json = Record<string, unknown>;

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every subschema, with where it sits. */
function* subschemas(node: unknown, at: string): Generator<[string, Json]> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  const schema = node as Json;
  yield [at, schema];
  for (const key of ['properties', 'definitions']) {
    for (const [name, child] of Object.entries((schema[key] ?? {}) as Json)) yield* subschemas(child, `${at}/${key}/${name}`);
  }
  for (const key of ['items', 'additionalProperties', 'if', 'then', 'else', 'propertyNames']) yield* subschemas(schema[key], `${at}/${key}`);
}

function resolve(schema: Json, root: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/definitions/', '');
  return (root.definitions as Json)[name] as Json;
}

describe('scenario schema', () => {
  it('is found from the source tree and from the compiled tree', () => {
    const file = findSchemaFile();
    assert.equal(path.basename(file), 'scenario.schema.json');
    const root = path.dirname(path.dirname(file));
    assert.equal(findSchemaFile(path.join(root, 'dist', 'src', 'scenario')), file);
    assert.equal(findSchemaFile(here), file);
    assert.equal(schemaText(), readFileSync(file, 'utf8'));
  });

  it('is draft-07, closed everywhere, and describes every property', () => {
    const root = scenarioSchema() as Json;
    assert.equal(root.$schema, 'http://json-schema.org/draft-07/schema#');
    for (const [at, schema] of subschemas(root, '#')) {
      const types = ([] as unknown[]).concat(schema.type ?? []);
      if (types.includes('object') && schema.properties) assert.equal(schema.additionalProperties, false, `${at} is open`);
      for (const [name, prop] of Object.entries((schema.properties ?? {}) as Json)) {
        const own = prop as Json;
        const description = own.description ?? resolve(own, root).description;
        assert.equal(typeof description, 'string', `${at}/properties/${name} has no description`);
      }
    }
  });

  it('accepts single scenarios and lists, and rejects stray keys', () => {
    const validate = scenarioValidator();
    const one = {
      name: 'a',
      target: 'http://x',
      preset: 'stripe',
      setup: [{ path: '/c', capture: { id: '$.id' } }],
      request: { path: '/a', json: { a: 1 } },
      idempotency: { header: 'Idempotency-Key', ttl: '2s' },
      effects: { count: { request: { path: '/c' }, select: '$.n' }, settle: '1.5s' },
      expect: { success: [200, '2xx'], inFlight: 409, mismatch: '4xx', afterExpiry: 'replay', replayHeader: 'X: y', ignore: ['$.t'] },
      attacks: { replay: null, concurrent: { requests: 5 }, reuse: { change: { a: 2 } }, expiry: { margin: '20%' }, drop: { at: ['mid-body'] } },
      teardown: [{ method: 'DELETE', path: '/c' }],
    };
    assert.equal(validate(one), true, JSON.stringify(validate.errors));
    assert.equal(validate({ scenarios: [one, { ...one, name: 'b' }] }), true, JSON.stringify(validate.errors));
    assert.equal(validate({ ...one, extra: 1 }), false);
    assert.equal(validate({ scenarios: [one], name: 'x' }), false);
    assert.equal(validate({ ...one, expect: { success: [600] } }), false);
    assert.equal(validate({ ...one, idempotency: { ttl: 300 } }), false);
    assert.equal(validate({ ...one, preset: 'acme' }), false);
  });
});
