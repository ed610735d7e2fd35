// tenant: one tenant's key sent by another tenant.
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { judge } from './judge.js';
import { labels, tenantRequests } from './requests.js';

export interface TenantObservation {
  attack: 'tenant';
  /** The first tenant's run. */
  run: Run;
  /** The same key and run.id, as the second tenant (its oracle readings). */
  secondRun: Run;
  original: Exchange;
  same: Exchange;
  changed: Exchange;
}

export interface TenantMetrics extends AttackMetrics {
  tenants: string[];
  sameKeyStatus: number;
  changedStatus: number;
  /** The second tenant's request with the first's key was refused: keys are one namespace across callers. */
  keySharedAcrossTenants: boolean;
  effectsOfSecond: number | null;
}

export const tenant = defineAttack({
  id: 'tenant',
  summary: "the first tenant's key sent by the second tenant: never the first tenant's response (needs two tenants:)",
  schema: {
    description: "Send a key as the first tenant, then the same key as the second tenant with the same payload and with a changed one.",
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {},
  },
  metricsSchema: {
    type: 'object',
    required: ['tenants', 'sameKeyStatus', 'changedStatus', 'keySharedAcrossTenants'],
    properties: { tenants: { type: 'array' }, sameKeyStatus: { type: 'number' }, changedStatus: { type: 'number' }, keySharedAcrossTenants: { type: 'boolean' } },
  },
  defaults: {} as Record<string, never>,
  normalize: () => ({}),
  skip: (scenario) => ((scenario.tenants?.length ?? 0) >= 2 ? undefined : 'declare two `tenants:` (two principals of the API) to send one tenant\'s key as the other'),
  preview(scenario, _config, ctx) {
    const [first, second] = scenario.tenants ?? [];
    const run = { ...ctx.newRun(), ...(first ? { tenant: first } : {}) };
    const r = tenantRequests(scenario, run, second!);
    const l = labels(scenario);
    const reads = [...ctx.reads(run, ctx.readsPerRun, `${first!.name}: before and after`), ...ctx.reads({ ...run, tenant: second! }, ctx.readsPerRun, `${second!.name}: before and after`)];
    return preview([planned(l.original, r.original), planned(l.same, r.same), planned(l.changed, r.changed)], reads, 2, 3);
  },
  execute: async (env) => (await import('./execute.js')).execute(env),
  judge,
  describe: (m) => `${m.tenants[1]} with ${m.tenants[0]}'s key: ${m.sameKeyStatus}${m.keySharedAcrossTenants ? ' (keys are shared across tenants: one caller can learn another\'s keys)' : ''}`,
});
