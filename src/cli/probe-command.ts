// `idemchaos probe <url>`: a one-off check from flags alone. The flags become
// a scenario document that goes through the same loader, planner, engine and
// judge as a file would, so a probe and a scenario can never disagree.
import { stringify } from 'yaml';
import { loadFile } from '../run/load.js';
import type { ScenarioMessage } from '../scenario/errors.js';
import { EXIT } from './exit-codes.js';
import { FlagError, reportSetupError } from './errors.js';
import { presetForFlag } from '../scenario/presets.js';
import { parseAttackList, parseShardFlag, scopeFrom, transportOptions, type CommonFlags } from './options.js';
import { planAll, planOptions, RESPONSE_ONLY_MISSES, runOrPreview } from './run-command.js';
import { redactorForScenarios } from '../secrets/scenarios.js';
import type { Redactor } from '../secrets/redactor.js';
import { shellQuote } from './shell.js';

export interface ProbeFlags extends CommonFlags {
  method: string;
  header?: string[];
  json?: string;
  data?: string;
  keyHeader?: string;
  count?: string;
  countSelect?: string;
  id?: string;
  ttl?: string;
  expectMismatch?: string;
  expectInFlight?: string;
  afterExpiry?: string;
  /** More instances of the same deployment, beside the URL's own origin. */
  instance?: string[];
  /** "Header: value", one tenant each. */
  tenant?: string[];
  maxKeyLength?: string;
  /** JSON fields merged into --json for the error-retry attack. */
  invalid?: string;
}

const SOURCE = '(probe flags)';

/** A probe's place in reports: its command line, cut at an argument past this length. */
const COMMAND_LINE_MAX = 300;

export async function probeCommand(url: string, flags: ProbeFlags, argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    const scope = scopeFrom(flags);
    if (flags.preset) presetForFlag(flags.preset); // an unknown name is a usage error, as in run
    const shard = parseShardFlag(flags.shard);
    if (shard && shard.index > 1) {
      // One probe is one scenario: it belongs to shard 1.
      process.stdout.write(`shard ${shard.index}/${shard.total} has no scenario (1 in all): nothing to run\n`);
      return EXIT.ok;
    }
    const text = stringify(probeDocument(url, flags));
    const loaded = loadFile(SOURCE, text, { scope, ...(flags.preset ? { preset: flags.preset } : {}) });
    if (loaded.errors.length > 0) throw new FlagError(flagMessages(loaded.errors, text));
    const only = parseAttackList(flags.attack);
    const { scenarios } = loaded;
    const redact = redactorForScenarios(scenarios, scope);
    // Reports locate a probe's findings by the command that made them (line 0: not a line of any file).
    const where = commandLine(argv, redact);
    for (const s of scenarios) {
      s.file = where;
      s.pos = { file: where, line: 0, col: 0 };
      s.attackLines = {};
    }
    if (!flags.count) {
      process.stderr.write(`note: no --count oracle given, so verdicts are response-only: ${RESPONSE_ONLY_MISSES}\n`);
    }
    const plans = planAll(scenarios, planOptions(flags, only));
    return await runOrPreview(plans, scope, await transportOptions(flags), flags, redact);
  } catch (err) {
    return reportSetupError(err);
  }
}

/**
 * `idemchaos probe …` as typed, shell-quoted and redacted: declared secret
 * values and credential-like URL parts anywhere, the values of `--secret`,
 * and credential headers given with `-H` (e.g. Authorization) show as ***.
 * Long command lines are cut at an argument boundary.
 */
export function commandLine(argv: string[], redact: Redactor): string {
  const shown: string[] = [];
  let pending: 'header' | 'secret' | undefined;
  for (const arg of argv) {
    let text = arg;
    if (pending === 'header') text = maskHeader(arg, redact);
    else if (pending === 'secret') text = maskSecret(arg);
    else if (arg.startsWith('--header=')) text = `--header=${maskHeader(arg.slice('--header='.length), redact)}`;
    else if (arg.startsWith('-H') && arg.length > 2 && !arg.startsWith('--')) text = `-H${maskHeader(arg.slice(2), redact)}`;
    else if (arg.startsWith('--secret=')) text = `--secret=${maskSecret(arg.slice('--secret='.length))}`;
    pending = arg === '-H' || arg === '--header' ? 'header' : arg === '--secret' ? 'secret' : undefined;
    shown.push(shellQuote(redact.text(text)));
  }
  let out = 'idemchaos';
  for (const [i, part] of shown.entries()) {
    // The command and the URL always; further arguments while they fit.
    if (i >= 2 && out.length + 1 + part.length > COMMAND_LINE_MAX) return `${out} …`;
    out += ` ${part}`;
  }
  return out;
}

function maskHeader(line: string, redact: Redactor): string {
  const colon = line.indexOf(':');
  return colon > 0 && redact.isSecretHeader(line.slice(0, colon).trim()) ? `${line.slice(0, colon)}: ***` : line;
}

function maskSecret(pair: string): string {
  const eq = pair.indexOf('=');
  return eq < 0 ? pair : `${pair.slice(0, eq)}=***`;
}

/** The scenario document the flags describe. */
export function probeDocument(url: string, flags: ProbeFlags): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FlagError(`probe: '${url}' is not an absolute http:// or https:// URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new FlagError(`probe: '${url}' is not an http:// or https:// URL`);
  if (flags.json !== undefined && flags.data !== undefined) throw new FlagError('probe: give --json or --data, not both');

  const request: Record<string, unknown> = { method: flags.method.toUpperCase(), path: `${parsed.pathname}${parsed.search}` };
  const headers = parseHeaders(flags.header ?? []);
  if (Object.keys(headers).length > 0) request['headers'] = headers;
  if (flags.json !== undefined) {
    try {
      request['json'] = JSON.parse(flags.json);
    } catch (err) {
      throw new FlagError(`--json: not valid JSON: ${(err as Error).message}`);
    }
  }
  if (flags.data !== undefined) request['body'] = flags.data;

  const doc: Record<string, unknown> = { name: `probe ${request['method']} ${parsed.origin}${parsed.pathname}`, request };
  if (flags.instance?.length) doc['targets'] = [parsed.origin, ...flags.instance.map((u) => originOf(u, '--instance'))];
  else doc['target'] = parsed.origin;
  if (flags.tenant?.length) {
    doc['tenants'] = Object.fromEntries(flags.tenant.map((line, i) => [`tenant ${i + 1}`, { headers: parseHeaders([line], '--tenant') }]));
  }
  const idempotency: Record<string, unknown> = {};
  if (flags.keyHeader) idempotency['header'] = flags.keyHeader;
  if (flags.ttl) idempotency['ttl'] = flags.ttl;
  if (flags.maxKeyLength !== undefined) idempotency['maxLength'] = flags.maxKeyLength === 'none' ? 'none' : Number(flags.maxKeyLength);
  if (Object.keys(idempotency).length > 0) doc['idempotency'] = idempotency;

  const effects: Record<string, unknown> = {};
  if (flags.count) effects['count'] = { request: { method: 'GET', path: countPath(flags.count, parsed) }, select: flags.countSelect ?? '$' };
  else if (flags.countSelect) throw new FlagError('--count-select needs --count');
  if (flags.id) effects['id'] = flags.id;
  if (Object.keys(effects).length > 0) doc['effects'] = effects;

  const expect: Record<string, unknown> = {};
  if (flags.expectMismatch) expect['mismatch'] = statusList(flags.expectMismatch);
  if (flags.expectInFlight) expect['inFlight'] = statusList(flags.expectInFlight);
  if (flags.afterExpiry) expect['afterExpiry'] = flags.afterExpiry;
  if (Object.keys(expect).length > 0) doc['expect'] = expect;
  if (flags.invalid !== undefined) {
    let invalid: unknown;
    try {
      invalid = JSON.parse(flags.invalid);
    } catch (err) {
      throw new FlagError(`--invalid: not valid JSON: ${(err as Error).message}`);
    }
    doc['attacks'] = { 'error-retry': { invalid: { json: invalid } } };
  }
  return doc;
}

/** The origin of an --instance URL (its path, if any, is the probed one). */
function originOf(url: string, flag: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
  } catch {
    // fall through
  }
  throw new FlagError(`${flag}: '${url}' is not an absolute http:// or https:// URL`);
}

/** The flag each key of the generated document came from, so errors name flags, not YAML lines. */
const FLAG_OF: Record<string, string> = {
  method: '-X/--method', headers: '-H/--header', json: '--json', body: '--data', header: '--key-header', ttl: '--ttl',
  preset: '--preset', path: '--count', select: '--count-select', id: '--id', mismatch: '--expect-mismatch',
  inFlight: '--expect-in-flight', afterExpiry: '--after-expiry', target: '<url>', targets: '--instance', tenants: '--tenant',
  maxLength: '--max-key-length', invalid: '--invalid',
};

function flagMessages(errors: ScenarioMessage[], text: string): string {
  const lines = text.split('\n');
  return errors
    .map((e) => {
      const key = keyOfLine(lines, e.line - 1);
      return `${FLAG_OF[key] ?? 'probe'}: ${e.message}`;
    })
    .join('\nidemchaos: ');
}

/** The key a line sets; for a list item, the key of the list it belongs to. */
function keyOfLine(lines: string[], index: number): string {
  const line = lines[index] ?? '';
  const own = /^\s*"?([\w-]+)"?:/.exec(line)?.[1];
  if (own) return own;
  const indent = line.search(/\S/);
  for (let i = index - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.search(/\S/) < indent || (l.search(/\S/) === indent && !l.trimStart().startsWith('- '))) {
      return /^\s*"?([\w-]+)"?:/.exec(l)?.[1] ?? '';
    }
  }
  return '';
}

function parseHeaders(lines: string[], flag = '-H'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 1) throw new FlagError(`${flag} expects "Name: value", got '${line}'`);
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** `--count` is a path on the probed origin, or a full URL on the same origin. */
function countPath(count: string, target: URL): string {
  if (count.startsWith('/')) return count;
  let url: URL;
  try {
    url = new URL(count.replace(/\{\{[^}]*\}\}/g, 'x'));
  } catch {
    throw new FlagError(`--count: '${count}' is neither a path starting with / nor a URL`);
  }
  if (url.origin !== target.origin) throw new FlagError(`--count: ${url.origin} is not the probed origin ${target.origin}`);
  return count.slice(target.origin.length);
}

function statusList(text: string): (number | string)[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
