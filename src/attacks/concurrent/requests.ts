// What a concurrent burst sends, shared by execute and preview: the labels
// of the duplicates and the warming requests.
import { inheritedHeaders, renderRequest, type RenderContext } from '../../scenario/render.js';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario } from '../../scenario/types.js';
import type { ConcurrentConfig } from './index.js';

/** Warming sends the oracle request, so only an HTTP oracle warms. */
export function canWarm(scenario: Scenario): boolean {
  return scenario.effects?.count?.kind === 'request';
}

/** The oracle's HTTP request as this run reads it: harmless, and it touches the same store. */
export function warmingRequest(scenario: Scenario, ctx: RenderContext): HttpRequest {
  const count = scenario.effects!.count!;
  if (count.kind !== 'request') throw new Error('warming needs an HTTP oracle');
  return renderRequest(scenario, count.request, ctx, { keyHeader: false, inherit: inheritedHeaders(scenario, ctx) });
}

function ofBurst(config: ConcurrentConfig, index: number): string {
  return config.bursts > 1 ? ` (burst ${index + 1}/${config.bursts})` : '';
}

export function burstLabels(config: ConcurrentConfig, index: number): string[] {
  return Array.from({ length: config.requests }, (_, i) => `duplicate ${i + 1}/${config.requests}${ofBurst(config, index)}`);
}

export function warmingLabel(config: ConcurrentConfig, index: number, i: number): string {
  return `warm-up ${i + 1}/${config.warm}${ofBurst(config, index)}`;
}
