// The judging rules several attacks share: one effect per key, a success
// describes an effect that exists, a replay equals its original. Pure.
import { selectId, type OracleWindow } from '../engine/oracle.js';
import type { Exchange } from '../model/http.js';
import type { Scenario } from '../scenario/types.js';
import { compareResponses } from './compare.js';
import { counts, effectsOf, Findings, isSuccess, missingReplayHeader } from './findings.js';
import { plural } from '../model/text.js';

/** What every rule needs: the scenario's contract, the base URL, and where findings go. */
export interface Judge {
  scenario: Scenario;
  /** The target with templates rendered, for resolving Location headers. */
  baseUrl: string;
  findings: Findings;
}

export function newJudge(ctx: { scenario: Scenario; baseUrl: string }): Judge {
  return { scenario: ctx.scenario, baseUrl: ctx.baseUrl, findings: new Findings() };
}

/** Exactly one effect for one key: more is a duplicate, none is lost. */
export function expectOneEffect(j: Judge, run: OracleWindow, exchanges: Exchange[], successes: Exchange[], what = 'one key', note = ''): void {
  const effects = effectsOf(run);
  if (effects === undefined) {
    const ids = resourceIds(j, successes);
    if (ids.size > 1) {
      j.findings.add('duplicate-effect', `${what}: the success responses named ${ids.size} different resources (response-only: no oracle declared)`, { exchanges });
    }
    return;
  }
  if (effects > 1) {
    j.findings.add('duplicate-effect', `${what} made ${plural(effects, 'side effect')} (expected 1)${note}`, { exchanges, oracle: counts(run) });
  } else if (successes.length > 0) {
    describesEffect(j, run, successes[0]!, exchanges);
  }
}

/** A success must describe an effect that exists. */
export function describesEffect(j: Judge, run: OracleWindow, success: Exchange, exchanges: Exchange[]): void {
  const effects = effectsOf(run);
  if (effects === 0) return lostEffect(j, run, exchanges);
  const idPath = j.scenario.effects?.id;
  const ids = listedIds(run);
  if (!idPath || !ids) return;
  const id = selectId(success.response!.body, idPath);
  if (id !== undefined && !ids.includes(id)) {
    j.findings.add('lost-effect', `${success.label} names ${id}, which the oracle does not list (${ids.join(', ') || 'none'})`, {
      exchanges,
      oracle: counts(run),
    });
  }
}

/**
 * The ids the oracle lists after the run, when it lists them all: a listing
 * shorter than the count is a page of it, and an id missing from a page is
 * no evidence of a lost effect.
 */
export function listedIds(run: OracleWindow): string[] | undefined {
  const after = run.after;
  return after?.ids && after.ids.length >= after.count ? after.ids : undefined;
}

export function lostEffect(j: Judge, run: OracleWindow, exchanges: Exchange[]): void {
  j.findings.add('lost-effect', 'the API answered with a success but no side effect exists', { exchanges, oracle: counts(run) });
}

/** The replay must equal its original and carry the replay marker when declared. */
export function checkReplay(j: Judge, original: Exchange, retry: Exchange, run: OracleWindow): void {
  const diff = compare(j, original, retry);
  const marker = missingReplayHeader(j.scenario.expect, retry);
  if (marker) diff.push(marker);
  if (diff.length > 0) {
    j.findings.add('wrong-replay', `${retry.label} differs from the original`, { exchanges: [original, retry], oracle: counts(run), diff });
  }
}

/** One line per difference between two responses, as replays are compared. */
export function compare(j: Judge, a: Exchange, b: Exchange): string[] {
  return compareResponses(a.response!, b.response!, { ignore: j.scenario.expect.ignore, baseUrl: j.baseUrl });
}

/** The resources the successes name at `effects.id` (none when it is not declared): response-only duplicate evidence. */
export function resourceIds(j: Judge, exchanges: Exchange[]): Set<string> {
  const idPath = j.scenario.effects?.id;
  if (!idPath) return new Set();
  const ids = exchanges
    .filter((e) => e.response && isSuccess(j.scenario.expect, e))
    .map((e) => selectId(e.response!.body, idPath))
    .filter((id): id is string => id !== undefined);
  return new Set(ids);
}

/** ms, rounded to µs for reports. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
