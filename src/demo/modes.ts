// The demo's behaviours: 'correct', and one mode per deliberate bug. Each bug
// mode is 'correct' with exactly that one bug, so that only the attack meant
// for it trips on it.

export type DemoMode =
  | 'correct'
  | 'no-idempotency'
  | 'race'
  | 'ignore-body'
  | 'replay-differs'
  | 'early-expiry'
  | 'forget-on-disconnect'
  | 'conflict-500'
  | 'key-optional'
  | 'long-key-500'
  | 'keys-shared-across-operations'
  | 'keys-shared-across-tenants'
  | 'expiry-burst-race'
  | 'locked-after-error'
  | 'per-instance-store';

export const DEMO_MODES: readonly { mode: DemoMode; description: string }[] = [
  { mode: 'correct', description: 'Follows the Idempotency-Key draft: atomic reservation, 409 in flight, 422 on changed payload, exact replays.' },
  { mode: 'no-idempotency', description: 'Ignores the Idempotency-Key header entirely: every POST creates a new order.' },
  { mode: 'race', description: 'Check-then-act: concurrent duplicates slip past the key lookup and each create an order.' },
  { mode: 'ignore-body', description: 'Fingerprints only method and path, so a reused key with a different payload replays the first response.' },
  { mode: 'replay-differs', description: 'Replays answer 200 instead of 201 and regenerate createdAt, so a replay does not match the original.' },
  { mode: 'early-expiry', description: 'Forgets keys after a quarter of the advertised retention, so late retries create duplicates.' },
  { mode: 'forget-on-disconnect', description: 'Drops the key when the client disconnects mid-request, so the retry creates a second order.' },
  { mode: 'conflict-500', description: 'Answers an in-flight duplicate with 500 instead of 409.' },
  // Trips only requests without a key; keyed requests are handled as in correct.
  { mode: 'key-optional', description: 'Treats the key as optional: a POST without one (or with an empty one) is processed as a plain request, so its retries create duplicates.' },
  // Trips only keys over 255 characters.
  { mode: 'long-key-500', description: 'Never checks the key length: a key over 255 characters crashes the key store, 500 instead of 400 (nothing is created).' },
  // Trips a key reused on another operation, done (replayed) or in flight (409 there).
  { mode: 'keys-shared-across-operations', description: 'Stores keys without the path: a key first used on /orders replays that order on /refunds, and no refund is created.' },
  // Trips a key reused by another tenant: done (replayed), in flight (409) or with another payload (422).
  { mode: 'keys-shared-across-tenants', description: "Stores keys without the tenant: another tenant's request with a used key gets the first tenant's order (a data leak) and nothing is created for it." },
  // Trips only retries of an expired key; a lone retry after expiry is a new order, as in correct.
  { mode: 'expiry-burst-race', description: 'Handles an expired key in two steps (delete, then proceed without claiming it), so concurrent retries right after expiry all create orders.' },
  // Trips only a key whose first request was refused: the refused request repeated gets 409 too, not 400.
  { mode: 'locked-after-error', description: 'Locks the key before validating the payload and never unlocks it when validation fails: the corrected request gets 409 until the ttl ends.' },
  // Trips every retry that lands on another instance (replays, in-flight duplicates, changed payloads alike); with one instance it is correct.
  { mode: 'per-instance-store', description: 'Keeps a key store per instance (the orders stay shared): a retry that lands on another instance creates a second order.' },
];

const MODE_NAMES: ReadonlySet<string> = new Set(DEMO_MODES.map((m) => m.mode));

export function isDemoMode(s: string): s is DemoMode {
  return MODE_NAMES.has(s);
}
