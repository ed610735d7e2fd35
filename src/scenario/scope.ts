// The values templates read: `{{ env.X }}` (the environment, plus `--env-file`),
// `{{ vars.X }}` (`--var`) and `{{ secrets.X }}` (`--secret NAME=VALUE` and
// `IDEMCHAOS_SECRET_<NAME>` variables). Secrets are masked in every report.
import { readFileSync } from 'node:fs';
import { UsageError } from './discover.js';
import type { TemplateScope } from './types.js';

export const SECRET_ENV_PREFIX = 'IDEMCHAOS_SECRET_';

/** What a template name may be (the NAME of `secrets.NAME`). */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** What a dotenv key may be. */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export interface ScopeInput {
  /** The real environment (`process.env`); it wins over `envFile`. */
  env: Record<string, string | undefined>;
  /** `--var` values, already parsed. */
  vars: Record<string, string>;
  /** `--secret NAME=VALUE`, as given (repeatable); wins over `IDEMCHAOS_SECRET_<NAME>`. */
  secretFlags?: string[];
  /** `--env-file <file>`: dotenv syntax. */
  envFile?: string;
}

/**
 * Builds the template scope. `env` is the env file's values overlaid with the
 * real environment; `secrets` are `IDEMCHAOS_SECRET_<NAME>` variables (from
 * either) overlaid with `--secret` flags. Throws a UsageError for a malformed
 * `--secret`, an unreadable env file or a bad line in it.
 */
export function buildScope(input: ScopeInput): TemplateScope {
  const env: Record<string, string | undefined> = {};
  if (input.envFile !== undefined) Object.assign(env, readEnvFile(input.envFile));
  for (const [name, value] of Object.entries(input.env)) if (value !== undefined) env[name] = value;

  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith(SECRET_ENV_PREFIX)) continue;
    const secret = name.slice(SECRET_ENV_PREFIX.length);
    if (NAME.test(secret)) secrets[secret] = value;
  }
  for (const pair of input.secretFlags ?? []) {
    const [name, value] = parseSecretFlag(pair);
    secrets[name] = value;
  }
  return { env, vars: { ...input.vars }, secrets };
}

/** `NAME=VALUE` -> [NAME, VALUE]; the value may hold '=' and may be empty. */
export function parseSecretFlag(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq < 0) throw new UsageError(`--secret expects NAME=VALUE, got '${maskedFlag(pair)}' (no '=')`);
  const name = pair.slice(0, eq);
  if (!NAME.test(name)) {
    throw new UsageError(
      `--secret expects NAME=VALUE, got the name '${name}': use letters, digits, _ and -, not starting with a digit (it is read as {{ secrets.NAME }})`,
    );
  }
  return [name, pair.slice(eq + 1)];
}

/** A malformed flag may be a bare secret: show only its start. */
function maskedFlag(text: string): string {
  return text.length <= 4 ? '***' : `${text.slice(0, 2)}***`;
}

/** Reads a dotenv file; a UsageError names the file (and line) when it cannot. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : (e.code ?? e.message);
    throw new UsageError(`--env-file: cannot read ${file}: ${why}`);
  }
  return parseDotenv(text, file);
}

/**
 * Dotenv syntax: `KEY=value` per line, blank lines and `# comments` ignored,
 * an optional `export ` prefix. Values may be unquoted (trimmed; ` #` starts a
 * comment), 'single-quoted' (taken literally) or "double-quoted" (\n, \r, \t,
 * \", \\ are escapes); quoted values may span lines. No `${VAR}` expansion.
 * Later keys win over earlier ones.
 */
export function parseDotenv(text: string, file = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, message: string): never => {
    throw new UsageError(`--env-file ${file}:${line}: ${message}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^export\s/.test(line)) line = line.replace(/^export\s+/, '');
    const eq = line.indexOf('=');
    // Never echo a line's text: a malformed line may be a bare secret.
    if (eq < 0) fail(lineNo, `expected KEY=value (no '=' on this line)`);
    const key = line.slice(0, eq).trim();
    if (!ENV_KEY.test(key)) fail(lineNo, `invalid key '${shorten(key)}': use letters, digits, _, . and -, not starting with a digit`);
    let rest = line.slice(eq + 1).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value ends at the first unescaped closing quote, possibly on a later line.
      let body = rest.slice(1);
      let close = closingQuote(body, quote);
      let last = i;
      while (close < 0 && last + 1 < lines.length) {
        last++;
        body += `\n${lines[last]!}`;
        close = closingQuote(body, quote);
      }
      if (close < 0) fail(lineNo, `unterminated ${quote === '"' ? 'double' : quote === "'" ? 'single' : 'back'} quote in the value of '${key}'`);
      const after = body.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) fail(last + 1, `unexpected text after the closing quote of '${key}'`);
      const raw = body.slice(0, close);
      out[key] = quote === '"' ? unescapeDouble(raw) : raw;
      i = last;
    } else {
      const comment = /\s#/.exec(rest);
      if (comment) rest = rest.slice(0, comment.index);
      out[key] = rest.trim();
    }
  }
  return out;
}

function closingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(text: string): string {
  return text.replace(/\\(.)/gs, (whole, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '"':
      case '\\':
        return ch;
      default:
        return whole;
    }
  });
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
