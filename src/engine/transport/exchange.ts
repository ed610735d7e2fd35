// Exchanges as every transport builds and fails them.
import { now, type Exchange, type HttpRequest } from '../../model/http.js';
import { TransportError } from '../http/errors.js';

export type ErrorKind = NonNullable<Exchange['errorKind']>;

/** Records a failure on an exchange that never got (or no longer has) a connection. */
export function failExchange(exchange: Exchange, err: unknown): Exchange {
  if (err instanceof TransportError) {
    exchange.error = err.message;
    exchange.errorKind = err.kind;
  } else {
    exchange.error = (err as Error)?.message ?? String(err);
    exchange.errorKind = 'protocol';
  }
  exchange.endedAt = now();
  return exchange;
}

/** The label of request i of a burst of total: labels[i], or "burst i/N". */
export function burstLabel(labels: readonly string[] | undefined, i: number, total: number): string {
  return labels?.[i] ?? `burst ${i + 1}/${total}`;
}

/** One exchange per request of a burst, nothing sent yet. */
export function burstExchanges(reqs: HttpRequest[], labels: readonly string[] | undefined, startedAt: number): Exchange[] {
  return reqs.map((request, i) => ({ label: burstLabel(labels, i, reqs.length), request, startedAt }));
}
