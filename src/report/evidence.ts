// Exchanges as plain data: what the JSON report stores and what the terminal
// prints. They arrive redacted (the event stream redacts whole values); bodies
// are cut here, at each reporter's limit, with a note saying so.
import type { Exchange } from '../model/http.js';
import type { Evidence } from '../model/results.js';

export interface BodyRecord {
  text: string;
  /** Set when the body was cut. */
  truncated?: { shownBytes: number; totalBytes: number };
  /** Set when the bytes are not UTF-8 text; `text` is then base64. */
  encoding?: 'base64';
}

export interface ExchangeRecord {
  label: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: BodyRecord };
  response?: { status: number; headers: Record<string, string>; body: BodyRecord };
  error?: string;
  startedAt: string;
  sentAt?: string;
  firstByteAt?: string;
  endedAt?: string;
  durationMs?: number;
}

export interface EvidenceRecord {
  exchanges: ExchangeRecord[];
  oracle?: Evidence['oracle'];
  diff?: string[];
}

export const TERMINAL_BODY_LIMIT = 4096;

export function evidenceRecord(evidence: Evidence, bodyLimit: number): EvidenceRecord {
  const out: EvidenceRecord = { exchanges: evidence.exchanges.map((e) => exchangeRecord(e, bodyLimit)) };
  if (evidence.oracle) out.oracle = evidence.oracle;
  if (evidence.diff) out.diff = evidence.diff;
  return out;
}

export function exchangeRecord(e: Exchange, bodyLimit: number): ExchangeRecord {
  const rec: ExchangeRecord = {
    label: e.label,
    request: { method: e.request.method, url: e.request.url, headers: e.request.headers },
    startedAt: isoTime(e.startedAt),
  };
  if (e.request.body && e.request.body.length > 0) rec.request.body = bodyRecord(e.request.body, bodyLimit);
  if (e.response) {
    rec.response = { status: e.response.status, headers: e.response.headers, body: bodyRecord(e.response.body, bodyLimit, e.response.bodyBytes) };
  }
  if (e.error) rec.error = e.error;
  if (e.sentAt !== undefined) rec.sentAt = isoTime(e.sentAt);
  if (e.firstByteAt !== undefined) rec.firstByteAt = isoTime(e.firstByteAt);
  if (e.endedAt !== undefined) {
    rec.endedAt = isoTime(e.endedAt);
    rec.durationMs = Math.round((e.endedAt - e.startedAt) * 1000) / 1000;
  }
  return rec;
}

/** `totalBytes`: the whole body's length when `body` is only its start (kept evidence). */
function bodyRecord(body: Buffer, limit: number, totalBytes = body.length): BodyRecord {
  const shown = body.length > limit ? body.subarray(0, limit) : body;
  const text = shown.toString('utf8');
  // A cut may split the last character; that alone does not make a body binary.
  const isText = !text.replace(/\uFFFD+$/, '').includes('\uFFFD') || Buffer.from(text, 'utf8').equals(shown);
  const rec: BodyRecord = isText ? { text } : { text: shown.toString('base64'), encoding: 'base64' };
  if (shown.length < totalBytes) rec.truncated = { shownBytes: shown.length, totalBytes };
  return rec;
}

/** Epoch ms with sub-ms precision → ISO 8601 with microseconds, so release skews stay visible. */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return new Date(whole).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}
