// Building blocks of the attacks' previews: what `--dry-run` prints and
// `--max-requests` counts.
import type { HttpRequest } from '../model/http.js';
import type { PlannedRequest, Preview } from './contract.js';

export function planned(label: string, request: HttpRequest, times = 1): PlannedRequest {
  return { label, request, times };
}

export function preview(requests: PlannedRequest[], oracleReads: number, correct: number, atMost: number): Preview {
  return { requests, oracleReads, effects: { correct, atMost } };
}
