// Concurrent retries right after a key expired: at most one new effect
// (none when the key replays or is refused), and every answer one of the two
// responses or "in flight".
import { statusIn } from '../../scenario/status.js';
import { checkStatuses, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { compare, newJudge } from '../../judge/rules.js';
import { roundMs } from '../../judge/rules.js';
import { plural } from '../../model/text.js';
import type { StatusSet } from '../../scenario/types.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ExpiryBurstMetrics, ExpiryBurstObservation } from './index.js';

export function judge(obs: ExpiryBurstObservation, ctx: JudgeContext): Judgement<ExpiryBurstMetrics> {
  const j = newJudge(ctx);
  const { expect } = j.scenario;
  const { run, original, exchanges } = obs;
  const answered = exchanges.filter((e) => e.response);
  const dropped = exchanges.filter((e) => !e.response);
  if (dropped.length > 0) {
    j.findings.add('server-error', `${dropped.length} of ${exchanges.length} duplicates after the expiry were never answered: ${dropped[0]!.error}`, { exchanges: dropped.slice(0, 3) });
  }
  const refuse: StatusSet = { text: '4xx', codes: [], classes: [4] };
  const allowed = expect.afterExpiry === 'reject' ? [expect.success, expect.inFlight, refuse] : [expect.success, expect.inFlight];
  checkStatuses(j.findings, answered, allowed, allowed.map((s) => s.text).join(' or '), 'duplicates after the expiry', exchanges.length);

  // The original's effect is in the count: what the burst added is the rest.
  const effects = effectsOf(run);
  const added = effects === undefined ? undefined : effects - 1;
  const allowedNew = expect.afterExpiry === 'new' || expect.afterExpiry === 'any' ? 1 : 0;
  if (added !== undefined && added > allowedNew) {
    j.findings.add(
      'duplicate-effect',
      `${exchanges.length} concurrent retries ${obs.burstAfterMs} ms after the first response (ttl ${obs.ttlMs} ms) made ${plural(added, 'new side effect')} (at most ${allowedNew})`,
      { exchanges: exchanges.filter((e) => e.response && isSuccess(expect, e)).slice(0, 3), oracle: counts(run) },
    );
  }
  // Every success is the original's response or the one new response.
  const successes = answered.filter((e) => statusIn(expect.success, status(e)));
  const fresh = successes.filter((e) => compare(j, original, e).length > 0);
  const [first, ...others] = fresh;
  const differing = first ? others.filter((e) => compare(j, first, e).length > 0) : [];
  if (differing.length > 0) {
    j.findings.add('wrong-replay', `${differing.length + 1} of ${successes.length} successes after the expiry answered with more than one new response`, {
      exchanges: [first!, differing[0]!],
      diff: compare(j, first!, differing[0]!),
    });
  }
  const statuses: Record<string, number> = {};
  for (const e of exchanges) {
    const k = e.response ? String(status(e)) : 'no response';
    statuses[k] = (statuses[k] ?? 0) + 1;
  }
  const t0 = Math.min(...exchanges.map((e) => e.sentAt ?? e.startedAt));
  const rel = (t: number | undefined) => (t === undefined ? undefined : roundMs(t - t0));
  const metrics: ExpiryBurstMetrics = {
    engine: obs.engine,
    requests: exchanges.length,
    ttlMs: obs.ttlMs,
    burstAfterMs: obs.burstAfterMs,
    releaseSkewMs: roundMs(obs.releaseSkewMs),
    statuses,
    newEffects: added ?? null,
    timelines: [
      exchanges.map((e, i) => ({
        request: i + 1,
        status: e.response?.status ?? 0,
        releasedMs: rel(e.sentAt ?? e.startedAt)!,
        ...(e.firstByteAt !== undefined ? { firstByteMs: rel(e.firstByteAt)! } : {}),
        ...(e.endedAt !== undefined ? { endedMs: rel(e.endedAt)! } : {}),
      })),
    ],
  };
  return { findings: j.findings.list(), metrics };
}
