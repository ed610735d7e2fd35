// What tenant sends, shared by execute and preview: one key, first as the
// first tenant, then as the second with the same payload and a changed one.
import { renderOperation, type RenderContext } from '../../scenario/render.js';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario, Tenant } from '../../scenario/types.js';
import { changedPayload } from '../reuse/payload.js';

export function tenantRequests(scenario: Scenario, first: RenderContext, second: Tenant): { original: HttpRequest; same: HttpRequest; changed: HttpRequest } {
  const asSecond: RenderContext = { ...first, tenant: second };
  const original = renderOperation(scenario, first);
  const same = renderOperation(scenario, asSecond);
  const rendered = JSON.parse(same.body?.toString('utf8') ?? 'null') as unknown;
  const payload = changedPayload(scenario.request.json, undefined, rendered);
  return { original, same, changed: payload === undefined ? same : renderOperation(scenario, asSecond, payload) };
}

export const labels = (scenario: Scenario) => {
  const [a, b] = scenario.tenants ?? [];
  return {
    original: `${a?.name ?? 'first tenant'}: original`,
    same: `${b?.name ?? 'second tenant'}: the same key, the same payload`,
    changed: `${b?.name ?? 'second tenant'}: the same key, a changed payload`,
  };
};
