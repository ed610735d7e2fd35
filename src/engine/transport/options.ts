// The transport options every engine passes down, as one helper.
import type { TransportOptions } from '../../model/http.js';

/** The transport options of opts (which may carry more, e.g. a burst's labels), with timeoutMs. */
export function transportOptions(opts: TransportOptions, timeoutMs = opts.timeoutMs): TransportOptions {
  const out: TransportOptions = { timeoutMs };
  if (opts.insecure !== undefined) out.insecure = opts.insecure;
  if (opts.ca !== undefined) out.ca = opts.ca;
  return out;
}
