// A retry after the response must replay it: one effect, the same response.
import { checkStatus, effectsOf } from '../../judge/findings.js';
import { checkReplay, expectOneEffect, newJudge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ReplayMetrics, ReplayObservation } from './index.js';

export function judge(obs: ReplayObservation, ctx: JudgeContext): Judgement<ReplayMetrics> {
  const j = newJudge(ctx);
  const { original, retry, run } = obs;
  const { success } = j.scenario.expect;
  expectOneEffect(j, run, [original, retry], [original, retry]);
  if (checkStatus(j.findings, retry, [success], `a replay (${success.text})`)) checkReplay(j, original, retry, run);
  return { findings: j.findings.list(), metrics: { effects: effectsOf(run) } };
}
