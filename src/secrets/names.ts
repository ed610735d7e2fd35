// What counts as secret by its name. One rule for names of values (setup
// captures, query parameters) and one for header names, used by the setup
// steps (which captures to hand the redactor) and by the redactor itself.

/** The idempotency key header when a scenario names no other. */
export const DEFAULT_KEY_HEADERS: readonly string[] = ['Idempotency-Key'];

/** Always credentials, whatever the scenario says. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** access_token, api_key, X-Amz-Signature, client_secret, sessionId, password, sig, ... */
const SECRET_WORD = /token|key|secret|signature|password|passwd|session|credential|^sig$/i;
/** ... but never the idempotency key itself, which a bug report needs. */
const IDEMPOTENCY = /idempoten/i;

/**
 * A value's name that marks it secret: a setup capture (`capture: { token: … }`)
 * or a query parameter (`?api_key=`). Names containing token, key, secret,
 * signature, password, passwd, session or credential, or exactly `sig`
 * (case-insensitive); names about idempotency (`idempotency_key`) excepted.
 */
export function isSecretName(name: string): boolean {
  return SECRET_WORD.test(name) && !IDEMPOTENCY.test(name);
}

/**
 * A header whose value is a credential: `Authorization`,
 * `Proxy-Authorization`, `Cookie`, `Set-Cookie`, or a name ending in `-Token`
 * or `-Key`, or containing `Secret` or `Api-Key` (case-insensitive); the
 * idempotency key headers (default Idempotency-Key) excepted. Narrower than
 * isSecretName on purpose: a header is masked whole, so a name merely
 * containing "key" (`Keyboard`) must not hide a value a bug report needs.
 */
export function isSecretHeader(name: string, keyHeaders: Iterable<string> = DEFAULT_KEY_HEADERS): boolean {
  const lower = name.toLowerCase();
  for (const key of keyHeaders) if (key.toLowerCase() === lower) return false;
  return (
    CREDENTIAL_HEADERS.has(lower) ||
    lower.endsWith('-token') ||
    lower.endsWith('-key') ||
    lower.includes('secret') ||
    lower.includes('api-key')
  );
}
