// Where schema/scenario.schema.json sits, and the attack list it holds (made
// from the attack modules), read without loading the validator: --help uses it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RELATIVE = path.join('schema', 'scenario.schema.json');

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

/** The attack ids the schema's `attacks:` map allows, in run order. */
export function schemaAttackIds(): string[] {
  const schema = JSON.parse(readFileSync(findSchemaFile(), 'utf8')) as { definitions: { attacks: { properties: Record<string, unknown> } } };
  return Object.keys(schema.definitions.attacks.properties);
}
