// Targets that misbehave on purpose: every one must end the run with exit 1
// or 3 within its bounds (--timeout 2s), a one-line reason, no stack trace,
// and no socket left open. Each case runs through the real executable (exit
// code, output, time), and in-process, where the test can see that every
// socket is closed while the tool is still running (the server saw each
// connection closed, and no socket handle is left in the process).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cli, runScenarioFile, tempDir, writeScenario } from '../helpers/harness.js';
import { show } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';
import { HOSTILE, type Hostile } from '../helpers/hostile-servers.js';
import type { AttackResult, RunResult } from '../../src/model/results.js';

/**
 * The run's own worst case for these attacks is about 6 s (replay: one
 * request of 2 s; concurrent: connecting and priming 2 s, the responses 2 s);
 * the rest is the margin a busy 2-core machine needs to start node and load
 * the CLI. A tool ignoring --timeout (10 s by default) would pass it.
 */
const CLI_BOUND_MS = 20_000;

/** Request bodies this large cannot sit in the socket buffers: the cases about the request body need that. */
const PAD = 'x'.repeat(4 * 1024 * 1024);

interface Case {
  /** Exit codes it may end with: one where the outcome is certain, 1 and 3 where event order decides. */
  codes: number[];
  /** What each attack's reason (or, failing, its first finding) says. */
  says: Record<string, RegExp>;
  h2?: boolean;
  bigBody?: boolean;
}

const CASES: Record<string, Case> = {
  'garbage status line': { codes: [3], says: { replay: /failed: Response does not match the HTTP\/1\.1 protocol/, concurrent: /malformed status line: "SMTP READY 220/ } },
  '20 MB of headers': { codes: [3], says: { replay: /Headers Overflow Error \(UND_ERR_HEADERS_OVERFLOW\)/, concurrent: /response header section larger than 64 KiB/ } },
  silence: { codes: [3], says: { replay: /no complete response from http:\/\/127\.0\.0\.1:\d+ within 2000 ms/, concurrent: /no complete response within 2000 ms after the burst release/ } },
  'reset on accept': { codes: [1, 3], says: { replay: /reset the connection before a complete response \(ECONNRESET\)/, concurrent: /ECONNRESET/ } },
  'slow headers': { codes: [3], says: { replay: /no complete response from .* within 2000 ms/, concurrent: /no complete response within 2000 ms/ } },
  'bad chunking': { codes: [3], says: { replay: /Invalid character in chunk size/, concurrent: /invalid chunk size line: "ZZ"/ } },
  'endless body': { codes: [3], says: { replay: /^original: response body larger than 16 MiB from http:\/\/127\.0\.0\.1:\d+$/, concurrent: /: response body larger than 16 MiB from / } },
  '2 GB Content-Length': { codes: [3], says: { replay: /response body larger than 16 MiB from .* \(Content-Length 2147483648\)$/, concurrent: /\(Content-Length 2147483648\)$/ } },
  'TLS on a plain port': {
    codes: [3],
    says: {
      replay: /^original: TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed: it did not answer in TLS \(ERR_SSL_WRONG_VERSION_NUMBER\); does it speak plain HTTP \(http:\/\/\)\?$/,
      concurrent: /did not answer in TLS/,
    },
  },
  'plain HTTP on a TLS port': { codes: [1, 3], says: { replay: /other side closed|reset the connection/, concurrent: /closed|reset/ } },
  'accepts and never reads': { codes: [3], bigBody: true, says: { replay: /within 2000 ms/, concurrent: /within 2000 ms/ } },
  'answers before the request body ends': { codes: [1, 3], bigBody: true, says: { replay: /reset the connection|answered 413/, concurrent: /413|reset|EPIPE/ } },
  '10,000 headers': { codes: [3], says: { replay: /Headers Overflow Error/, concurrent: /response header section larger than 64 KiB/ } },
  'HTTP/2 GOAWAY mid-burst': { codes: [1, 3], h2: true, says: { concurrent: /GOAWAY|Session closed with error code 11|never answered/ } },
  'HTTP/2 RST_STREAM mid-burst': { codes: [1], h2: true, says: { concurrent: /^4 of 5 duplicates were never answered: .*NGHTTP2_INTERNAL_ERROR/ } },
};

function scenario(c: Case): string {
  const attacks = c.h2 ? '  concurrent: { requests: 5, bursts: 1, engine: h2 }' : '  replay: {}\n  concurrent: { requests: 2, bursts: 1, engine: h1 }';
  return `name: hostile
target: "{{ env.BASE_URL }}"
request:
  path: /orders
  json: { sku: widget-1, ref: "{{ run.id }}"${c.bigBody ? `, pad: "${PAD}"` : ''} }
attacks:
${attacks}
`;
}

/** The reason an attack ended with, one line each: the error's reason, or the first finding's message. */
function saying(a: Pick<AttackResult, 'verdict' | 'reason' | 'findings'>): string {
  return a.verdict === 'error' ? a.reason ?? '' : a.findings[0]?.message ?? '';
}

function checkAttacks(c: Case, attacks: AttackResult[], where: string): void {
  assert.deepEqual(attacks.map((a) => a.attack), Object.keys(c.says), where);
  for (const a of attacks) {
    assert.ok(a.verdict === 'error' || a.verdict === 'fail', `${where}: ${a.attack} ended ${a.verdict}`);
    const text = saying(a);
    assert.doesNotMatch(text, /\n/, `${where}: ${a.attack}'s reason is not one line:\n${text}`);
    assert.match(text, c.says[a.attack]!, `${where}: ${a.attack}`);
  }
}

/** Sockets (and TLS over them) this process holds. */
function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
}

async function allClosed(server: Hostile, what: string): Promise<void> {
  server.observeCloses();
  await waitFor(() => server.open() === 0, 3000, () => `${what}: the server to see every connection closed (${server.open()} of ${server.connections.length} open)`);
  assert.ok(server.connections.length > 0, `${what}: the run connected`);
}

describe('hostile targets', () => {
  test('every hostile server has its case', () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(HOSTILE).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    test(name, { timeout: 90_000 }, async () => {
      const server = await HOSTILE[name]!();
      try {
        const file = await writeScenario(scenario(c));

        // In-process: every socket closed while the run is still in this process.
        const before = sockets();
        const result: RunResult = await runScenarioFile(file, server.origin, { timeoutMs: 2000 });
        checkAttacks(c, result.scenarios[0]!.attacks, 'in-process');
        await allClosed(server, 'in-process');
        await waitFor(() => sockets() === before, 2000, () => `no socket left in the process (${sockets()} now, ${before} before: ${process.getActiveResourcesInfo().join(', ')})`);

        // The real executable: exit code, time, output.
        const report = path.join(await tempDir(), 'r.json');
        const opened = server.connections.length;
        const t0 = Date.now();
        const r = await cli(['run', file, '--target', server.origin, '--timeout', '2s', '--report-json', report], { timeoutMs: 60_000 });
        const took = Date.now() - t0;
        assert.ok(c.codes.includes(r.code ?? -1), `exit ${r.code}, expected ${c.codes.join(' or ')}: ${show(r)}`);
        assert.ok(took < CLI_BOUND_MS, `ended after ${took} ms`);
        assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /\n\s+at .*[(:]\d+/, 'a stack trace was printed');
        assert.doesNotMatch(r.stdout, /internal error/);
        const json = JSON.parse(await readFile(report, 'utf8'));
        checkAttacks(c, json.scenarios[0].attacks, 'cli');
        assert.ok(server.connections.length > opened, 'the CLI connected');
        await allClosed(server, 'cli');
      } finally {
        await server.close();
      }
    });
  }
});
