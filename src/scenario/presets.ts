// Contract presets: the idempotency behaviour of well-known implementations,
// as a starting point for `idempotency:` and `expect:`. A scenario's own
// `idempotency.header` and `expect.inFlight` / `mismatch` / `replayHeader`
// override a preset field by field. Retention (`ttl`) is never preset: it is
// each deployment's own, and the expiry attack must not guess it.
import { UsageError } from './discover.js';
import { closest } from './suggest.js';

export interface Preset {
  name: string;
  /** One line for --help and the README. */
  summary: string;
  /** Where the contract comes from. */
  source: string;
  /** Request header that carries the key. */
  header: string;
  /** Status list (as a scenario would write it) for a duplicate while the first is in flight. */
  inFlight: number[] | string;
  /** Status list for the same key with another payload. */
  mismatch: number[] | string;
  /** Header every replay carries, or none. */
  replayHeader?: { name: string; value: string };
  /** The longest key accepted, or 'none' (no limit); absent: the default, 255. */
  maxLength?: number | 'none';
  /** Whether a request without a key is processed as a plain one; absent: reject (the draft). */
  missingKey?: 'reject' | 'allow';
}

export const DEFAULT_PRESET = 'ietf';

export const PRESETS: Readonly<Record<string, Preset>> = {
  ietf: {
    name: 'ietf',
    summary: 'the IETF draft: Idempotency-Key, 409 in flight, 422 on another payload, no replay marker (the default)',
    source: 'IETF draft-ietf-httpapi-idempotency-key-header-07 (Oct 2025): 409 for a request still being processed, 422 for a key reused with another payload; no replay marker defined',
    header: 'Idempotency-Key',
    inFlight: [409],
    mismatch: [422],
  },
  stripe: {
    name: 'stripe',
    summary: 'Stripe API v1: 409 in flight, 400 on another payload, replays marked Idempotent-Replayed: true',
    source: 'Stripe API v1 docs, "Idempotent requests": 409 idempotency_key_in_use, 400 idempotency_error, replays carry Idempotent-Replayed: true',
    header: 'Idempotency-Key',
    inFlight: [409],
    mismatch: [400],
    replayHeader: { name: 'Idempotent-Replayed', value: 'true' },
    maxLength: 255,
  },
  adyen: {
    name: 'adyen',
    summary: 'Adyen: Idempotency-Key of at most 64 characters, 409 or 422 in flight, any 4xx on another payload',
    source: 'Adyen API idempotency docs: Idempotency-Key up to 64 characters; a request still in progress is refused with 422 or 409 (errorCode 704); reuse with another payload is not documented, so any 4xx',
    header: 'Idempotency-Key',
    inFlight: [409, 422],
    mismatch: '4xx',
    maxLength: 64,
  },
  brandur: {
    name: 'brandur',
    summary: 'Brandur Leach\'s Postgres design: 409 in flight and on another payload, no replay marker',
    source: 'Brandur Leach, "Implementing Stripe-like Idempotency Keys in Postgres" (brandur.org/idempotency-keys): 409 while the key is locked and for a mismatched payload',
    header: 'Idempotency-Key',
    inFlight: [409],
    mismatch: [409],
  },
  'express-idempotency': {
    name: 'express-idempotency',
    summary: 'the express-idempotency middleware: idempotency-key, 409 in flight, 417 on another payload',
    source: 'express-idempotency (npm) README and code: header idempotency-key, 409 while in progress, 417 for a key reused with another request; the key is optional and its length unchecked',
    header: 'idempotency-key',
    inFlight: [409],
    mismatch: [417],
    missingKey: 'allow',
    maxLength: 'none',
  },
  'node-idempotency': {
    name: 'node-idempotency',
    summary: '@node-idempotency: 409 in flight, 422 on another payload, replays marked Idempotent-Replayed: true',
    source: '@node-idempotency/core README and code: 409 (Retry-After: 1) in flight, 422 for another payload, replays carry Idempotent-Replayed: true; keys up to 256 characters',
    header: 'Idempotency-Key',
    inFlight: [409],
    mismatch: [422],
    replayHeader: { name: 'Idempotent-Replayed', value: 'true' },
    maxLength: 256,
  },
  paypal: {
    name: 'paypal',
    summary: 'PayPal REST APIs: PayPal-Request-Id, any 4xx in flight and on another payload, no replay marker',
    source: 'PayPal REST API docs, "Idempotency" (PayPal-Request-Id header): statuses for duplicates in flight and reused ids are not pinned down (v1: DUPLICATE_REQUEST_ID), so any 4xx',
    header: 'PayPal-Request-Id',
    inFlight: '4xx',
    mismatch: '4xx',
    maxLength: 108,
  },
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export function isPresetName(name: string): boolean {
  return Object.hasOwn(PRESETS, name);
}

/** What to say about an unknown preset name: "unknown preset 'strpe'; did you mean 'stripe'? (presets: ...)". */
export function unknownPresetMessage(name: string): string {
  const guess = closest(name, PRESET_NAMES);
  return `unknown preset '${name}'${guess ? `; did you mean '${guess}'?` : ''} (presets: ${PRESET_NAMES.join(', ')})`;
}

/**
 * The preset named by `--preset` (or the default when none is given). Throws a
 * UsageError for an unknown name: call it while checking flags.
 */
export function presetForFlag(name: string | undefined): Preset {
  if (name === undefined) return PRESETS[DEFAULT_PRESET]!;
  if (!isPresetName(name)) throw new UsageError(`--preset: ${unknownPresetMessage(name)}`);
  return PRESETS[name]!;
}

/** The preset in effect for a scenario: its own `preset:`, else the flag's, else the default. */
export function effectivePreset(own: unknown, flag: string | undefined): Preset {
  if (typeof own === 'string' && isPresetName(own)) return PRESETS[own]!;
  if (flag !== undefined && isPresetName(flag)) return PRESETS[flag]!;
  return PRESETS[DEFAULT_PRESET]!;
}
