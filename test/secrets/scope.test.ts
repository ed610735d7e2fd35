import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/scenario/discover.js';
import { buildScope, parseDotenv, parseSecretFlag } from '../../src/scenario/scope.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'idemchaos-scope-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function envFile(text: string, name = '.env'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

function usage(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('buildScope: secrets', () => {
  it('reads IDEMCHAOS_SECRET_<NAME> variables and --secret NAME=VALUE, the flag winning', () => {
    const scope = buildScope({
      env: { IDEMCHAOS_SECRET_token: 'from-env', IDEMCHAOS_SECRET_API_KEY: 'env-key', HOME: '/home/x' },
      vars: { tenant: 'acme' },
      secretFlags: ['token=from-flag', 'password=a=b=c', 'empty='],
    });
    assert.deepEqual(scope.secrets, { token: 'from-flag', API_KEY: 'env-key', password: 'a=b=c', empty: '' });
    assert.deepEqual(scope.vars, { tenant: 'acme' });
    assert.equal(scope.env.HOME, '/home/x');
  });

  it('rejects a malformed --secret without echoing its value', () => {
    usage(() => buildScope({ env: {}, vars: {}, secretFlags: ['sk_live_abcdef'] }), "--secret expects NAME=VALUE, got 'sk***' (no '=')");
    usage(() => parseSecretFlag('=value'), /^--secret expects NAME=VALUE, got the name '': use letters/);
    usage(() => parseSecretFlag('1abc=value'), /got the name '1abc'/);
    usage(() => parseSecretFlag('a.b=value'), /got the name 'a\.b'.*secrets\.NAME/);
    assert.deepEqual(parseSecretFlag('api-key=x'), ['api-key', 'x']);
  });
});

describe('buildScope: --env-file', () => {
  it('adds env values; the real environment wins; secrets may come from the file', async () => {
    const file = await envFile('BASE_URL=http://from-file\nTOKEN=file-token\nIDEMCHAOS_SECRET_pw=file-pw\nIDEMCHAOS_SECRET_tok=file-tok\n');
    const scope = buildScope({
      env: { TOKEN: 'real-token', IDEMCHAOS_SECRET_tok: 'real-tok', UNSET: undefined },
      vars: {},
      secretFlags: ['pw=flag-pw'],
      envFile: file,
    });
    assert.equal(scope.env.BASE_URL, 'http://from-file');
    assert.equal(scope.env.TOKEN, 'real-token');
    assert.equal('UNSET' in scope.env, false);
    assert.deepEqual(scope.secrets, { pw: 'flag-pw', tok: 'real-tok' });
  });

  it('parses dotenv syntax: comments, export, quotes, escapes, multi-line values, inline comments', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      '  SPACED  =  padded value  ',
      'export EXPORTED=yes',
      'INLINE=kept # dropped',
      'HASH=a#b',
      'DOUBLE="two words # not a comment"',
      'ESCAPES="line1\\nline2\\t\\"q\\" \\\\ \\x"',
      "SINGLE='literal \\n $HOME'",
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'MULTI="first',
      'second"',
      'AFTER="x" # trailing comment',
      'URL=https://user:pass@host/path?q=1',
      'DOTTED.KEY=ok',
      'PLAIN=later wins',
      '\r',
    ].join('\n');
    assert.deepEqual(parseDotenv(text), {
      PLAIN: 'later wins',
      SPACED: 'padded value',
      EXPORTED: 'yes',
      INLINE: 'kept',
      HASH: 'a#b',
      DOUBLE: 'two words # not a comment',
      ESCAPES: 'line1\nline2\t"q" \\ \\x',
      SINGLE: 'literal \\n $HOME',
      EMPTY: '',
      EMPTY_QUOTED: '',
      MULTI: 'first\nsecond',
      AFTER: 'x',
      URL: 'https://user:pass@host/path?q=1',
      'DOTTED.KEY': 'ok',
    });
    assert.deepEqual(parseDotenv('A=1\r\nB="2"\r\n'), { A: '1', B: '2' });
  });

  it('names the file and line of a bad line, never its text', async () => {
    usage(() => parseDotenv('A=1\nsk_live_secret\n', 'prod.env'), "--env-file prod.env:2: expected KEY=value (no '=' on this line)");
    usage(() => parseDotenv('A=1\n\n1BAD=x\n', 'e'), /^--env-file e:3: invalid key '1BAD'/);
    usage(() => parseDotenv('A="open\nB=2\n', 'e'), "--env-file e:1: unterminated double quote in the value of 'A'");
    usage(() => parseDotenv("A='x' y\n", 'e'), "--env-file e:1: unexpected text after the closing quote of 'A'");
    const file = await envFile('OK=1\nnope\n', 'bad.env');
    usage(() => buildScope({ env: {}, vars: {}, envFile: file }), `--env-file ${file}:2: expected KEY=value (no '=' on this line)`);
  });

  it('says when the file cannot be read', () => {
    const missing = path.join(dir, 'missing.env');
    usage(() => buildScope({ env: {}, vars: {}, envFile: missing }), `--env-file: cannot read ${missing}: no such file`);
    usage(() => buildScope({ env: {}, vars: {}, envFile: dir }), `--env-file: cannot read ${dir}: it is a directory`);
  });
});
