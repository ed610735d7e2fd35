// Helpers the transports share on top of the model's request and exchange types.
import type { Exchange, HttpRequest, TransportOptions } from '../../model/http.js';

/** The transport options of opts (which may carry more, e.g. a burst's labels), with timeoutMs. */
export function transportOptions(opts: TransportOptions, timeoutMs = opts.timeoutMs): TransportOptions {
  const out: TransportOptions = { timeoutMs };
  if (opts.insecure !== undefined) out.insecure = opts.insecure;
  if (opts.ca !== undefined) out.ca = opts.ca;
  return out;
}

/** The label of request i of a burst of total: labels[i], or "burst i/N". */
export function burstLabel(labels: readonly string[] | undefined, i: number, total: number): string {
  return labels?.[i] ?? `burst ${i + 1}/${total}`;
}

/** One exchange per request of a burst, nothing sent yet. */
export function burstExchanges(reqs: HttpRequest[], labels: readonly string[] | undefined, startedAt: number): Exchange[] {
  return reqs.map((request, i) => ({ label: burstLabel(labels, i, reqs.length), request, startedAt }));
}
