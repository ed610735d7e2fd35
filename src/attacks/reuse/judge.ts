// The same key with another payload must be refused, and make no effect: in
// every run (one per field changed), and while the key's original is in flight.
import { formatStatusSet } from '../../scenario/status.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { compare, expectOneEffect, newJudge, type Judge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ReuseInFlightObservation, ReuseMetrics, ReuseObservation, ReuseVariantObservation } from './index.js';

export function judge(obs: ReuseObservation, ctx: JudgeContext): Judgement<ReuseMetrics> {
  const j = newJudge(ctx);
  const replayed: ReuseVariantObservation[] = [];
  const processed: ReuseVariantObservation[] = [];
  for (const v of obs.variants) {
    const { original, changed } = v;
    if (status(changed) < 500 && isSuccess(j.scenario.expect, changed)) {
      (compare(j, original, changed).length === 0 ? replayed : processed).push(v);
    } else {
      checkStatus(j.findings, changed, [j.scenario.expect.mismatch], `a mismatch status (${j.scenario.expect.mismatch.text})`);
    }
  }
  if (replayed.length > 0) {
    const ignores = obs.change ? 'the change' : list(replayed.flatMap((v) => v.fields));
    j.findings.add('mismatch-accepted', `the same key with a changed payload was answered ${codes(replayed)} with the first request's response: the key's fingerprint ignores ${ignores}`, evidence(replayed));
  }
  if (processed.length > 0) {
    const fields = obs.change ? '' : ` (changed: ${list(processed.flatMap((v) => v.fields))}, which the key's fingerprint ignores)`;
    j.findings.add('mismatch-accepted', `the same key with a changed payload${fields} was answered ${codes(processed)} and processed, expected ${formatStatusSet(j.scenario.expect.mismatch)}`, evidence(processed));
  }
  for (const v of obs.variants) {
    expectOneEffect(j, v.run, [v.original, v.changed], [v.original], obs.change ? 'one key' : `one key (${v.fields.join(', ')} changed)`);
  }
  const inFlight = obs.inFlight ? judgeInFlight(j, obs.inFlight) : undefined;

  const all = [...obs.variants.map((v) => v.run), ...(obs.inFlight ? [obs.inFlight.run] : [])];
  const perKey = all.map((run) => effectsOf(run)).filter((n): n is number => n !== undefined);
  const metrics: ReuseMetrics = {
    effects: perKey.length > 0 ? Math.max(...perKey) : undefined,
    fields: obs.variants.flatMap((v) => v.fields),
    ignored: [...replayed, ...processed].flatMap((v) => v.fields),
    variants: obs.variants.map((v) => ({ fields: v.fields, status: status(v.changed), ...optional('effects', effectsOf(v.run)) })),
    firstMs: Math.round(obs.firstMs * 1000) / 1000,
    fastestMs: Math.round(obs.fastestMs * 1000) / 1000,
    ...(inFlight ? { inFlight } : {}),
  };
  if (metrics.effects === undefined) delete metrics.effects;
  return { findings: j.findings.list(), metrics };
}

/**
 * The changed payload while the key's original runs: a mismatch or an
 * in-flight answer. A success, or a second effect, means it was processed.
 * If the original's answer had begun to arrive before the changed payload
 * went out, the step missed its window: only a 5xx and the effects are
 * judged, since the runs before it judged a changed payload after an answer.
 */
function judgeInFlight(j: Judge, f: ReuseInFlightObservation): NonNullable<ReuseMetrics['inFlight']> {
  const { expect } = j.scenario;
  const { original, changed, run } = f;
  const code = status(changed);
  const effects = effectsOf(run);
  const exchanges = [original, changed];
  const overlapped = changed.startedAt < (original.firstByteAt ?? original.endedAt ?? Infinity);
  const when = `while the original with its key was still in flight (sent ${Math.round(f.sentAfterMs)} ms after it)`;
  const expected = `${formatStatusSet(expect.mismatch)} (mismatch) or ${formatStatusSet(expect.inFlight)} (in flight)`;
  if (!overlapped) {
    // Missed the window: only a 5xx, a server error whenever it comes.
    if (code >= 500) checkStatus(j.findings, changed, [], expected);
  } else if (code < 500 && isSuccess(expect, changed)) {
    const how = isSuccess(expect, original) && compare(j, original, changed).length === 0 ? "with the original's response" : 'and processed';
    j.findings.add('mismatch-accepted', `${changed.label} was answered ${code} ${how} ${when}, expected ${expected}`, { exchanges, oracle: counts(run) });
  } else if (effects !== undefined && effects > 1) {
    j.findings.add('mismatch-accepted', `${changed.label} was answered ${code} ${when}, yet processed: the oracle counts ${effects} side effects for the key`, { exchanges, oracle: counts(run) });
  } else {
    checkStatus(j.findings, changed, [expect.mismatch, expect.inFlight], expected);
  }
  if (!isSuccess(expect, original)) {
    checkStatus(j.findings, original, [expect.success], `a success (${expect.success.text}): the changed payload sent after it must not displace it`);
  }
  expectOneEffect(j, run, exchanges, isSuccess(expect, original) ? [original] : [], 'the in-flight key');
  return {
    sentAfterMs: Math.round(f.sentAfterMs * 1000) / 1000,
    originalStatus: status(original),
    status: code,
    ...optional('effects', effects),
    overlapped,
  };
}

function codes(variants: ReuseVariantObservation[]): string {
  return [...new Set(variants.map((v) => status(v.changed)))].join(' and ');
}

function evidence(variants: ReuseVariantObservation[]) {
  return { exchanges: variants.flatMap((v) => [v.original, v.changed]), oracle: counts(variants[0]!.run) };
}

/** "a", "a and b", "a, b and c". */
function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
