// Where drop cuts, and how long it retries through "in flight": shared by
// execute and preview so `--dry-run` says what a run does.
import type { CutPoint } from '../../engine/h1/index.js';

export const DROP_POINTS = ['after-send', 'mid-body', 'mid-response'] as const;
export type DropPoint = (typeof DROP_POINTS)[number];

/** The cuts each configured point makes: mid-body cuts at three places. */
export const CUTS: Record<DropPoint, CutPoint[]> = {
  'after-send': ['after-send'],
  'mid-body': ['mid-body-first', 'mid-body-middle', 'mid-body-last'],
  'mid-response': ['mid-response'],
};

export function cutsOf(points: readonly DropPoint[]): CutPoint[] {
  return points.flatMap((point) => CUTS[point]);
}

export function isMidBody(cut: CutPoint): boolean {
  return cut.startsWith('mid-body');
}
