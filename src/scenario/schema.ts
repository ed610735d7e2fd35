// The scenario JSON Schema: found next to the package, compiled once.
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import type { AnySchemaObject, ValidateFunction } from 'ajv';
import { findSchemaFile } from './schema-file.js';

// ajv is CommonJS: under NodeNext the default import is its module.exports,
// whose `default` is the class.
const Ajv = AjvModule.default;

let cached: { file: string; text: string; schema: AnySchemaObject; validate: ValidateFunction } | undefined;

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
