// Secrets never reach a report or a log. Shown as ***: every declared secret
// value (raw, URL-encoded, JSON-escaped), credential headers (by name), URL
// user info and credential-like query parameters. The idempotency key headers
// stay visible: the tool's own random key is what a bug report needs.
import type { Scenario, SetupStep, TemplateScope, RequestTemplate } from '../scenario/types.js';
import { renderString } from '../scenario/template.js';
import { randomUUID } from 'node:crypto';

const MASK = '***';
const DEFAULT_KEY_HEADERS = ['Idempotency-Key'];

/** Always credentials, whatever the scenario says. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Query parameters whose values are masked: access_token, api_key, X-Amz-Signature, client_secret, ... */
const SECRET_PARAM = /token|key|secret|signature|password|passwd|session|credential|^sig$/i;
/** ... but never the idempotency key itself, which a bug report needs. */
const KEY_PARAM = /idempoten/i;

/** `scheme://user:pass@` (user info ends at the first '@' before any '/', '?' or '#'). */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>\\]+)@/gi;
/** `?name=value` and `&name=value` anywhere in a text. */
const QUERY_PARAM = /([?&;])([^=&#\s"'<>?;\\]+)=([^&#\s"'<>;\\]+)/g;

export interface RedactorOptions {
  /**
   * Idempotency key header names (the scenarios' `idempotency.header`):
   * their values stay visible although names ending in `-Key` are otherwise
   * masked. Default: Idempotency-Key.
   */
  keyHeaders?: Iterable<string>;
}

export class Redactor {
  private values: string[] = [];
  private readonly forms = new Set<string>();
  private readonly keyHeaders: Set<string>;

  /** `secrets`: every value that must never be shown (declared secrets, tokens). */
  constructor(secrets: Iterable<string> = [], options: RedactorOptions = {}) {
    this.keyHeaders = new Set([...(options.keyHeaders ?? DEFAULT_KEY_HEADERS)].map((h) => h.toLowerCase()));
    this.add(...secrets);
  }

  /** More values to mask from now on (e.g. a token captured by a setup step). */
  add(...secrets: string[]): void {
    let added = false;
    for (const s of secrets) {
      if (s.length < 3) continue; // too short to mask without mangling everything
      for (const form of [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]) {
        if (!this.forms.has(form)) {
          this.forms.add(form);
          added = true;
        }
      }
    }
    // Longest first, so a secret containing another is masked whole.
    if (added) this.values = [...this.forms].sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    let out = s;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    if (out.includes('://')) out = out.replace(USER_INFO, (_, scheme: string, info: string) => `${scheme}${info.includes(':') ? `${MASK}:${MASK}` : MASK}@`);
    if (out.includes('=')) {
      out = out.replace(QUERY_PARAM, (whole, sep: string, name: string) => (isSecretParam(name) ? `${sep}${name}=${MASK}` : whole));
    }
    return out;
  }

  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      out[name] = this.isSecretHeader(name) ? maskHeaderValue(name, value) : this.text(value);
    }
    return out;
  }

  /** A credential header by its name, the key headers given to this redactor excepted. */
  isSecretHeader(name: string): boolean {
    return !this.keyHeaders.has(name.toLowerCase()) && credentialHeaderName(name);
  }
}

/**
 * `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, or a name
 * ending in `-Token` or `-Key`, or containing `Secret` or `Api-Key`
 * (case-insensitive); the idempotency key headers (default Idempotency-Key) excepted.
 */
export function isSecretHeader(name: string, keyHeaders: Iterable<string> = DEFAULT_KEY_HEADERS): boolean {
  const lower = name.toLowerCase();
  for (const key of keyHeaders) if (key.toLowerCase() === lower) return false;
  return credentialHeaderName(name);
}

function credentialHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    CREDENTIAL_HEADERS.has(lower) ||
    lower.endsWith('-token') ||
    lower.endsWith('-key') ||
    lower.includes('secret') ||
    lower.includes('api-key')
  );
}

function isSecretParam(raw: string): boolean {
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // keep it as written
  }
  return SECRET_PARAM.test(name) && !KEY_PARAM.test(name);
}

/** Keeps the auth scheme ("Bearer ***") since it helps a bug report and reveals nothing. */
function maskHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^([A-Za-z][\w-]*)\s+\S/.exec(value)?.[1];
    return scheme ? `${scheme} ${MASK}` : MASK;
  }
  return MASK;
}

/**
 * The redactor for a run: declared secrets (`scope.secrets`), `extraSecrets`,
 * and the rendered values of every credential header the scenarios send (the
 * operation, the oracle request, setup and teardown steps; the credential
 * after an auth scheme, and each cookie value, too), so they are masked
 * wherever they show up. Header values that depend on a setup capture are
 * masked by name, and the runner adds secret captures (`RunnerOptions.redact`)
 * as they are taken. Each scenario's idempotency key header stays visible.
 */
export function redactorForScenarios(scenarios: Scenario[], scope: TemplateScope, extraSecrets: Iterable<string> = []): Redactor {
  const keyHeaders = new Set<string>(scenarios.length > 0 ? scenarios.map((s) => s.idempotency.header) : DEFAULT_KEY_HEADERS);
  const values = new Set<string>([...Object.values(scope.secrets), ...extraSecrets]);
  const ctx = { scope, run: { runId: 'ic-redact', key: randomUUID() } };
  for (const s of scenarios) {
    for (const template of requestTemplates(s)) {
      for (const [name, value] of Object.entries(template.headers)) {
        if (!isSecretHeader(name, keyHeaders)) continue;
        let rendered: string;
        try {
          rendered = renderString(value, ctx);
        } catch {
          continue; // depends on a setup capture: masked by its header name, and the runner adds the capture
        }
        for (const v of credentialParts(name, rendered)) values.add(v);
      }
    }
  }
  return new Redactor(values, { keyHeaders });
}

/** The whole value, the credential after an auth scheme, and each cookie's (long enough) value. */
function credentialParts(name: string, value: string): string[] {
  const out = [value];
  if (/^(set-)?cookie$/i.test(name)) {
    for (const pair of value.split(/;\s*/)) {
      const eq = pair.indexOf('=');
      // Short values (true, 1, en) would mask unrelated text everywhere.
      if (eq > 0 && pair.length - eq - 1 >= 8) out.push(pair.slice(eq + 1).trim());
    }
  } else {
    const token = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    if (token) out.push(token);
  }
  return out.filter((v) => v.length > 0);
}

function requestTemplates(s: Scenario): RequestTemplate[] {
  const out: RequestTemplate[] = [s.request];
  if (s.effects?.count?.kind === 'request') out.push(s.effects.count.request);
  const steps: SetupStep[] = [...(s.setup ?? []), ...(s.teardown ?? [])];
  for (const step of steps) out.push(step.request);
  return out;
}
