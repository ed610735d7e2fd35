// Secrets never reach a report or a log. Shown as ***: every declared secret
// value (raw, URL-encoded, JSON-escaped, base64), credential headers (by name), URL
// user info and credential-like query parameters. The idempotency key headers
// stay visible: the tool's own random key is what a bug report needs.
//
// The redactor works on whole values (texts, header sets, bodies, exchanges,
// results): whoever shows them cuts them afterwards, so a secret is never
// left half-masked by a cut that fell inside it.
import type { Exchange } from '../model/http.js';
import type { AttackResult, Evidence, Finding, RunResult, ScenarioResult } from '../model/results.js';
import type { ProxyAttempt, ProxyOperation, ProxySession } from '../model/proxy.js';
import { isPlainObject } from '../model/values.js';
import { DEFAULT_KEY_HEADERS, isSecretHeader, isSecretName } from './names.js';

const MASK = '***';

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
  /** The forms of every secret, longest first, so a secret containing another is masked whole. */
  private values: string[] = [];
  /** The same, each as its UTF-8 bytes read as latin1: for bodies that are not UTF-8 text. */
  private byteValues: string[] = [];
  private readonly forms = new Set<string>();
  private readonly keyHeaders: string[];

  /** `secrets`: every value that must never be shown (declared secrets, tokens). */
  constructor(secrets: Iterable<string> = [], options: RedactorOptions = {}) {
    this.keyHeaders = [...(options.keyHeaders ?? DEFAULT_KEY_HEADERS)];
    this.add(...secrets);
  }

  /** More values to mask from now on (e.g. a token captured by a setup step). */
  add(...secrets: string[]): void {
    let added = false;
    for (const s of secrets) {
      if (s.length < 3) continue; // too short to mask without mangling everything
      for (const form of [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), ...base64Forms(s)]) {
        if (!this.forms.has(form)) {
          this.forms.add(form);
          added = true;
        }
      }
    }
    if (added) {
      this.values = [...this.forms].sort((a, b) => b.length - a.length);
      this.byteValues = this.values.map((v) => Buffer.from(v, 'utf8').toString('latin1'));
    }
  }

  text(s: string): string {
    return mask(s, this.values);
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
    return isSecretHeader(name, this.keyHeaders);
  }

  /**
   * A whole body: UTF-8 text redacted as text; other bytes (binary, or text
   * in another encoding) with every secret's UTF-8 bytes, URL user info and
   * credential query parameters masked byte for byte.
   */
  body(body: Buffer): Buffer {
    if (body.length === 0) return body;
    const text = body.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(body)) {
      const out = this.text(text);
      return out === text ? body : Buffer.from(out, 'utf8');
    }
    const bytes = body.toString('latin1');
    const out = mask(bytes, this.byteValues);
    return out === bytes ? body : Buffer.from(out, 'latin1');
  }

  /** A copy with the URL, headers, bodies and error redacted; timings and labels kept. */
  exchange(e: Exchange): Exchange {
    const request = { ...e.request, url: this.text(e.request.url), headers: this.headers(e.request.headers) };
    if (e.request.body) request.body = this.body(e.request.body);
    const out: Exchange = { ...e, request };
    if (e.response) out.response = { ...e.response, headers: this.headers(e.response.headers), body: this.body(e.response.body) };
    if (e.error !== undefined) out.error = this.text(e.error);
    return out;
  }

  evidence(ev: Evidence): Evidence {
    const out: Evidence = { ...ev, exchanges: ev.exchanges.map((e) => this.exchange(e)) };
    if (ev.oracle) {
      out.oracle = { ...ev.oracle };
      if (ev.oracle.ids) out.oracle.ids = ev.oracle.ids.map((id) => this.text(id));
      if (ev.oracle.note !== undefined) out.oracle.note = this.text(ev.oracle.note);
    }
    if (ev.diff) out.diff = ev.diff.map((d) => this.text(d));
    return out;
  }

  /** Reasons, findings, every piece of evidence, and every text in the metrics (which quote response bodies). */
  attack(a: AttackResult): AttackResult {
    const out: AttackResult = {
      ...a,
      metrics: this.deep(a.metrics),
      findings: a.findings.map((f) => this.finding(f)),
    };
    if (a.reason !== undefined) out.reason = this.text(a.reason);
    if (a.errorEvidence) out.errorEvidence = this.evidence(a.errorEvidence);
    if (a.evidence) out.evidence = this.evidence(a.evidence);
    return out;
  }

  finding(f: Finding): Finding {
    return { ...f, message: this.text(f.message), evidence: this.evidence(f.evidence) };
  }

  /**
   * An attempt through the proxy: its exchange as any other, its path and
   * upstream error as texts. The key stays: it is what the audit is about.
   */
  attempt(a: ProxyAttempt): ProxyAttempt {
    const out: ProxyAttempt = { ...a, path: this.text(a.path), exchange: this.exchange(a.exchange) };
    if (a.upstream && 'error' in a.upstream) out.upstream = { error: this.text(a.upstream.error) };
    return out;
  }

  operation(o: ProxyOperation): ProxyOperation {
    const out: ProxyOperation = {
      ...o,
      path: this.text(o.path),
      attempts: o.attempts.map((a) => this.attempt(a)),
      findings: o.findings.map((f) => this.finding(f)),
    };
    if (o.note !== undefined) out.note = this.text(o.note);
    return out;
  }

  /** The proxy's session: the upstream URL, the command line and every operation. */
  proxy(p: ProxySession): ProxySession {
    const out: ProxySession = { ...p, upstream: this.text(p.upstream), operations: p.operations.map((o) => this.operation(o)) };
    if (p.command) out.command = { ...p.command, argv: p.command.argv.map((arg) => this.text(arg)) };
    return out;
  }

  scenario(s: ScenarioResult): ScenarioResult {
    const out: ScenarioResult = { ...s, target: this.text(s.target), attacks: s.attacks.map((a) => this.attack(a)) };
    if (s.error !== undefined) out.error = this.text(s.error);
    return out;
  }

  run(r: RunResult): RunResult {
    const out: RunResult = { ...r, scenarios: r.scenarios.map((s) => this.scenario(s)) };
    if (r.proxy) out.proxy = this.proxy(r.proxy);
    return out;
  }

  /** Every string inside a JSON-like value, at any depth. */
  deep<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.deep(v)) as T;
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deep(v)])) as T;
    return value;
  }
}

/** Base64 text shorter than this is not masked: it would turn up by chance in any long base64 body. */
const MIN_BASE64 = 8;

/**
 * A secret base64-encoded (and base64url), as servers echo it (in a header,
 * a JSON field, a token's payload): the whole value's encoding, and the part
 * that stands for its bytes alone inside a longer encoded text, at each of
 * the three byte offsets it may start at (what surrounds it changes only the
 * characters at either end).
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out = [bytes.toString('base64'), bytes.toString('base64url')];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4);
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out.filter((form) => form.length >= MIN_BASE64);
}

/** Known values first, then URL user info, then credential query parameters. */
function mask(s: string, values: string[]): string {
  let out = s;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
  if (out.includes('://')) out = out.replace(USER_INFO, (_, scheme: string, info: string) => `${scheme}${info.includes(':') ? `${MASK}:${MASK}` : MASK}@`);
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAM, (whole, sep: string, name: string) => (isSecretParam(name) ? `${sep}${name}=${MASK}` : whole));
  }
  return out;
}

function isSecretParam(raw: string): boolean {
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // keep it as written
  }
  return isSecretName(name);
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
