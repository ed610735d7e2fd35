// other-operation: a key used on the main request, then on each other
// declared operation of the API.
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { defineAttack, type PlannedRead, type PlannedRequest, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { judge } from './judge.js';
import { mainLabel, operationReads, otherLabel, pair } from './requests.js';

export interface OperationObservation {
  name: string;
  /** The main request's run (its oracle). */
  run: Run;
  /** The same context read through the operation's own oracle, when it has one. */
  opRun: Run;
  main: Exchange;
  other: Exchange;
}

export interface OtherOperationObservation {
  attack: 'other-operation';
  operations: OperationObservation[];
}

export interface OtherOperationMetrics extends AttackMetrics {
  operations: { name: string; status: number; effects: number | null }[];
}

export const otherOperation = defineAttack({
  id: 'other-operation',
  summary: 'a key used on the main request, then on each declared operation: never answered with the main response (needs operations:)',
  schema: {
    description: 'Use a key on the main request, then the same key on each operation under operations: with its own payload.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {},
  },
  metricsSchema: { type: 'object', required: ['operations'], properties: { operations: { type: 'array' } } },
  defaults: {} as Record<string, never>,
  normalize: () => ({}),
  skip: (scenario) => (scenario.operations?.length ? undefined : 'declare `operations:` (other keyed operations of the API) to try the key on them'),
  preview(scenario, _config, ctx) {
    const ops = scenario.operations ?? [];
    const list: PlannedRequest[] = [];
    const reads: PlannedRead[] = [];
    for (const op of ops) {
      const run = ctx.newRun();
      const { main, other } = pair(scenario, op, run);
      list.push(planned(mainLabel(op), main), planned(otherLabel(op), other));
      // The main oracle around the pair, and the operation's own oracle when it has one.
      reads.push(...ctx.reads(run, ctx.readsPerRun, `${op.name}: before and after`));
      if (ctx.readsPerRun > 0) reads.push(...operationReads(scenario, op, run, ctx.readsPerRun));
    }
    return preview(list, reads, ops.length * 2, ops.length * 2);
  },
  execute: async (env) => (await import('./execute.js')).execute(env),
  judge,
  describe: (m) => m.operations.map((o) => `${o.name} ${o.status}`).join(', '),
});
