// Inside the ttl a retry must replay; after it, the retry follows
// expect.afterExpiry, and a fresh effect must be answered as one.
import { selectId } from '../../engine/oracle.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { plural } from '../../model/text.js';
import { checkReplay, compare, describesEffect, listedIds, lostEffect, newJudge, resourceIds, type Judge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ExpiryKeyObservation, ExpiryMetrics, ExpiryObservation } from './index.js';

export function judge(obs: ExpiryObservation, ctx: JudgeContext): Judgement<ExpiryMetrics> {
  const j = newJudge(ctx);
  judgeBeforeTtl(j, obs.before, obs.ttlMs);
  judgeAfterTtl(j, obs.after);
  const metrics: ExpiryMetrics = {
    ttlMs: obs.ttlMs,
    retryBeforeTtlMs: obs.before.retryAfterMs,
    retryAfterTtlMs: obs.after.retryAfterMs,
    effectsBeforeTtl: effectsOf(obs.before.run),
    effectsAfterTtl: effectsOf(obs.after.run),
  };
  return { findings: j.findings.list(), metrics };
}

/** Response-only: the two answers name different resources. */
function namedApart(j: Judge, k: ExpiryKeyObservation): boolean {
  return resourceIds(j, [k.original, k.retry]).size > 1;
}

/** Key A: retried inside the ttl, it must still be a replay with no new effect. */
function judgeBeforeTtl(j: Judge, k: ExpiryKeyObservation, ttlMs: number): void {
  const { original, retry, run } = k;
  const exchanges = [original, retry];
  const effects = effectsOf(run);
  const forgotten = effects !== undefined ? effects > 1 : namedApart(j, k);
  if (forgotten) {
    j.findings.add(
      'early-expiry',
      `the key was processed afresh ${k.retryAfterMs} ms after the first request, inside the declared ttl of ${ttlMs} ms${effects === undefined ? ' (response-only: the retry named another resource)' : ''}`,
      { exchanges, oracle: counts(run) },
    );
  }
  const replayed = checkStatus(j.findings, retry, [j.scenario.expect.success], `a replay (${j.scenario.expect.success.text})`);
  if (forgotten) return;
  describesEffect(j, run, original, exchanges);
  if (replayed) checkReplay(j, original, retry, run);
}

/** Key B: retried after ttl + margin, it must follow `expect.afterExpiry`. */
function judgeAfterTtl(j: Judge, k: ExpiryKeyObservation): void {
  const { expect } = j.scenario;
  const { original, retry, run } = k;
  const exchanges = [original, retry];
  const effects = effectsOf(run);
  const code = status(retry);
  const oracle = counts(run);
  const processedAgain = effects !== undefined ? effects >= 2 : namedApart(j, k);
  if (code >= 500) {
    checkStatus(j.findings, retry, [], '');
  } else {
    switch (expect.afterExpiry) {
      case 'new':
        // Retention is a minimum: a key kept longer is no bug, but a failure is.
        checkStatus(j.findings, retry, [expect.success], `the expired key to be processed afresh (${expect.success.text})`);
        break;
      case 'reject':
        if (code < 400 || code > 499) {
          j.findings.add('unexpected-status', `after the ttl the retry was answered ${code}, expected a 4xx rejection`, { exchanges, oracle });
        }
        break;
      case 'replay':
        if (!processedAgain && checkStatus(j.findings, retry, [expect.success], `a replay (${expect.success.text})`)) {
          checkReplay(j, original, retry, run);
        }
        break;
      case 'any':
        break;
    }
  }
  if (processedAgain && expect.afterExpiry === 'replay') {
    j.findings.add('early-expiry', `the key was processed afresh ${k.retryAfterMs} ms after the first response, but the API declares keys never expire (afterExpiry: replay)`, { exchanges, oracle });
  }
  if (effects !== undefined && effects > 2) {
    j.findings.add('duplicate-effect', `one key made ${plural(effects, 'side effect')} across its expiry (at most 2)`, { exchanges, oracle });
  } else if (effects !== undefined && effects >= 2 && expect.afterExpiry === 'reject') {
    j.findings.add('duplicate-effect', 'the retry after the ttl created a second side effect, though the API declares it rejects expired keys', { exchanges, oracle });
  }
  if (effects === 0) return lostEffect(j, run, exchanges);
  if (!isSuccess(expect, retry)) return;
  if (effects !== undefined && effects >= 2) staleReplay(j, k);
  else describesEffect(j, run, retry, exchanges);
}

/** A new effect must be answered with the new resource, not the old response. */
function staleReplay(j: Judge, k: ExpiryKeyObservation): void {
  const { original, retry, run } = k;
  const idPath = j.scenario.effects?.id;
  const ids = listedIds(run);
  const evidence = { exchanges: [original, retry], oracle: counts(run) };
  if (idPath && ids) {
    const oldId = selectId(original.response!.body, idPath);
    const answered = selectId(retry.response!.body, idPath);
    if (answered !== undefined && answered === oldId) {
      j.findings.add('wrong-replay', `after the ttl the key was processed afresh (a new side effect) but answered with the old resource ${answered}`, evidence);
    } else if (answered === undefined || !ids.includes(answered)) {
      j.findings.add('lost-effect', `${retry.label} names ${answered ?? 'no resource'}, which the oracle does not list (${ids.join(', ') || 'none'})`, evidence);
    }
    return;
  }
  if (compare(j, original, retry).length === 0) {
    j.findings.add('wrong-replay', 'after the ttl the key was processed afresh (a new side effect) but answered with the old response', evidence);
  }
}
