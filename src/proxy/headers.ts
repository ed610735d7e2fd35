// Which request headers may change from one attempt to the next without the
// retry being another request: retry counters, request ids, trace context,
// dates and signatures. Names are compared case-insensitively; a trailing `*`
// matches any rest of the name.

/** The built-in list; `--volatile-header` adds to it. The README documents it. */
export const VOLATILE_HEADERS: readonly string[] = [
  // retry counters and per-attempt timeouts
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'amz-sdk-request',
  'amz-sdk-invocation-id',
  'x-retry-count',
  'x-retry-attempt',
  // SDK telemetry about the previous request
  'x-stripe-client-telemetry',
  // request ids and trace context
  'x-request-id',
  'request-id',
  'x-amzn-trace-id',
  'traceparent',
  'tracestate',
  'baggage',
  'sentry-trace',
  'x-b3-*',
  'b3',
  'x-datadog-*',
  'x-cloud-trace-context',
  // dates and signatures (AWS SigV4 signs the date, so Authorization changes with it)
  'date',
  'x-amz-date',
  'authorization',
  '*signature*',
];

/** Never compared: they belong to the connection or follow the body. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

export function volatileMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of patterns) {
    const lower = p.trim().toLowerCase();
    if (!lower) continue;
    if (lower.includes('*')) globs.push(new RegExp(`^${lower.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
    else exact.add(lower);
  }
  return (name) => {
    const lower = name.toLowerCase();
    return exact.has(lower) || globs.some((g) => g.test(lower));
  };
}

/**
 * Header names whose values differ between two attempts (present in one
 * only, or with another value), the key header, connection headers and
 * volatile ones aside; lower-case and sorted.
 */
export function changedHeaders(
  first: Record<string, string>,
  retry: Record<string, string>,
  opts: { keyHeader: string; isVolatile: (name: string) => boolean },
): string[] {
  const norm = (h: Record<string, string>) => new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const a = norm(first);
  const b = norm(retry);
  const key = opts.keyHeader.toLowerCase();
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names]
    .filter((n) => n !== key && !CONNECTION_HEADERS.has(n) && !opts.isVolatile(n) && a.get(n) !== b.get(n))
    .sort();
}
