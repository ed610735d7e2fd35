// What other-operation sends, shared by execute and preview: per declared
// operation, the main request with a fresh key, then that key on the operation.
import { inheritedHeaders, renderCommand, renderOperation, renderRequest, type RenderContext } from '../../scenario/render.js';
import type { PlannedRead } from '../contract.js';
import type { HttpRequest } from '../../model/http.js';
import type { Operation, Scenario } from '../../scenario/types.js';

/** The operation's request under the same key as the main one (rendered in the same context). */
export function operationRequest(scenario: Scenario, op: Operation, ctx: RenderContext): HttpRequest {
  return renderRequest(scenario, op.request, ctx, { keyHeader: true });
}

/** The scenario as seen from the operation: its request and its own oracle, for reading that oracle. */
export function asOperation(scenario: Scenario, op: Operation): Scenario {
  const { effects: _main, ...rest } = scenario;
  return { ...rest, request: op.request, ...(op.effects ? { effects: op.effects } : {}) };
}

export function pair(scenario: Scenario, op: Operation, ctx: RenderContext): { main: HttpRequest; other: HttpRequest } {
  return { main: renderOperation(scenario, ctx), other: operationRequest(scenario, op, ctx) };
}

export const mainLabel = (op: Operation): string => `original (before ${op.name})`;
export const otherLabel = (op: Operation): string => `the same key on ${op.name} (${op.request.method} ${op.request.path})`;

/** The operation's own oracle reads for one run, as --dry-run lists them. */
export function operationReads(scenario: Scenario, op: Operation, run: RenderContext, times: number): PlannedRead[] {
  const count = op.effects?.count;
  if (!count) return [];
  const label = `${op.name}'s own oracle: before and after`;
  if (count.kind === 'command') return [{ label, command: renderCommand(count.command, run), times }];
  const seen = asOperation(scenario, op);
  return [{ label, request: renderRequest(seen, count.request, run, { keyHeader: false, inherit: inheritedHeaders(seen, run) }), times }];
}
