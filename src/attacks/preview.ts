// Building blocks of the attacks' previews: what `--dry-run` prints and
// `--max-requests` counts.
import type { HttpRequest } from '../model/http.js';
import type { PlannedRead, PlannedRequest, Preview } from './contract.js';

export function planned(label: string, request: HttpRequest, times = 1): PlannedRequest {
  return { label, request, times };
}

export function preview(requests: PlannedRequest[], reads: PlannedRead[], correct: number, atMost: number): Preview {
  return { requests, reads, effects: { correct, atMost } };
}

/** Requests and reads made only if `condition` holds (see PlannedRequest.condition). */
export function conditional<T extends PlannedRequest | PlannedRead>(condition: string, items: T[]): T[] {
  return items.map((item) => ({ ...item, condition }));
}
