// The redactor for a run, from what the scenarios declare and send.
import { randomUUID } from 'node:crypto';
import type { RequestTemplate, Scenario, SetupStep, TemplateScope } from '../scenario/types.js';
import { renderString } from '../scenario/template.js';
import { DEFAULT_KEY_HEADERS, isSecretHeader } from './names.js';
import { Redactor } from './redactor.js';

/**
 * The redactor for a run: declared secrets (`scope.secrets`), `extraSecrets`,
 * and the rendered values of every credential header the scenarios send (the
 * operation, the oracle request, setup and teardown steps; the credential
 * after an auth scheme, and each cookie value, too), so they are masked
 * wherever they show up. Header values that depend on a setup capture are
 * masked by name, and the runner adds secret captures (`RunnerOptions.redact`)
 * as they are taken. Each scenario's idempotency key header stays visible.
 */
export function redactorForScenarios(scenarios: Scenario[], scope: TemplateScope, extraSecrets: Iterable<string> = []): Redactor {
  const keyHeaders = new Set<string>(scenarios.length > 0 ? scenarios.map((s) => s.idempotency.header) : DEFAULT_KEY_HEADERS);
  const values = new Set<string>([...Object.values(scope.secrets), ...extraSecrets]);
  const ctx = { scope, run: { runId: 'ic-redact', key: randomUUID() } };
  for (const s of scenarios) {
    for (const template of requestTemplates(s)) {
      for (const [name, value] of Object.entries(template.headers)) {
        if (!isSecretHeader(name, keyHeaders)) continue;
        let rendered: string;
        try {
          rendered = renderString(value, ctx);
        } catch {
          continue; // depends on a setup capture: masked by its header name, and the runner adds the capture
        }
        for (const v of credentialParts(name, rendered)) values.add(v);
      }
    }
  }
  return new Redactor(values, { keyHeaders });
}

/** The whole value, the credential after an auth scheme, and each cookie's (long enough) value. */
function credentialParts(name: string, value: string): string[] {
  const out = [value];
  if (/^(set-)?cookie$/i.test(name)) {
    for (const pair of value.split(/;\s*/)) {
      const eq = pair.indexOf('=');
      // Short values (true, 1, en) would mask unrelated text everywhere.
      if (eq > 0 && pair.length - eq - 1 >= 8) out.push(pair.slice(eq + 1).trim());
    }
  } else {
    const token = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    if (token) out.push(token);
  }
  return out.filter((v) => v.length > 0);
}

function requestTemplates(s: Scenario): RequestTemplate[] {
  const out: RequestTemplate[] = [s.request];
  if (s.effects?.count?.kind === 'request') out.push(s.effects.count.request);
  const steps: SetupStep[] = [...(s.setup ?? []), ...(s.teardown ?? [])];
  for (const step of steps) out.push(step.request);
  return out;
}
