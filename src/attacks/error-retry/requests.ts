// What error-retry sends, shared by execute and preview: the invalid payload
// and the valid one under one key.
import { renderOperation, type RenderContext } from '../../scenario/render.js';
import { renderString, renderValue } from '../../scenario/template.js';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario } from '../../scenario/types.js';
import type { ErrorRetryConfig } from './index.js';

export function errorRetryRequests(scenario: Scenario, config: ErrorRetryConfig, ctx: RenderContext): { invalid: HttpRequest; valid: HttpRequest } {
  const valid = renderOperation(scenario, ctx);
  const invalid = config.invalid!;
  if ('json' in invalid) {
    const rendered = JSON.parse(valid.body?.toString('utf8') ?? '{}') as Record<string, unknown>;
    return { valid, invalid: renderOperation(scenario, ctx, { ...rendered, ...(renderValue(invalid.json, ctx) as Record<string, unknown>) }) };
  }
  return { valid, invalid: { ...valid, body: Buffer.from(renderString(invalid.body, ctx)) } };
}

export const LABELS = {
  invalid: 'the invalid payload',
  again: (attempt: number) => (attempt === 1 ? 'the same invalid payload again' : `the same invalid payload again (${attempt}, after in flight)`),
  valid: (attempt: number) => (attempt === 1 ? 'the corrected payload, same key' : `the corrected payload, same key (${attempt}, after in flight)`),
};
