// A reader that stops early (`idemchaos --help | head -1`) must not make the CLI die with a stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN } from '../helpers/harness.js';

test('--help into a pipe closed after the first line: exit 0, nothing on stderr', { timeout: 30_000 }, async () => {
  const child = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" --help | head -1`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stdout.trim(), 'Usage: idemchaos [options] [command]');
  assert.equal(stderr, '', 'no EPIPE stack trace');
  assert.equal(code, 0);
});
