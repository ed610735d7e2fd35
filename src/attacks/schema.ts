// The `attacks` part of schema/scenario.schema.json, made from the attack
// modules; a test keeps the committed file equal to it.
import type { JsonSchema } from './contract.js';
import { ANY_ATTACKS } from './index.js';

export function attacksDefinition(): JsonSchema {
  return {
    title: 'attacks',
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: Object.fromEntries(ANY_ATTACKS.map((a) => [a.id, a.schema])),
  };
}

/** The scenario schema with its `attacks` definition made anew from the modules. */
export function withAttacks(schema: { definitions: Record<string, unknown> }): unknown {
  return { ...schema, definitions: { ...schema.definitions, attacks: attacksDefinition() } };
}
