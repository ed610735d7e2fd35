// The scenario JSON Schema: found next to the package, compiled once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { AnySchemaObject, ValidateFunction } from 'ajv';

const RELATIVE = path.join('schema', 'scenario.schema.json');

// ajv is CommonJS: under NodeNext the default import is its module.exports,
// whose `default` is the class.
const Ajv = AjvModule.default;

let cached: { file: string; text: string; schema: AnySchemaObject; validate: ValidateFunction } | undefined;

/**
 * Walks up from this module (src/scenario/ when run from source,
 * dist/src/scenario/ when compiled) to the directory holding schema/.
 */
export function findSchemaFile(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${RELATIVE} above ${from}`);
    dir = parent;
  }
}

function load(): NonNullable<typeof cached> {
  if (cached) return cached;
  const file = findSchemaFile();
  const text = readFileSync(file, 'utf8');
  const schema = JSON.parse(text) as AnySchemaObject;
  const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
  cached = { file, text, schema, validate: ajv.compile(schema) };
  return cached;
}

/** The schema file's text, as `idemchaos schema` prints it. */
export function schemaText(): string {
  return load().text;
}

export function scenarioSchema(): AnySchemaObject {
  return load().schema;
}

/** The compiled validator (Ajv, allErrors, verbose errors). */
export function scenarioValidator(): ValidateFunction {
  return load().validate;
}
