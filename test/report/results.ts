// Run results the reporter tests render: one from real attacks on the demo
// API (a race with a timeline, a replay that differs, an unreachable target),
// and a handcrafted one for edge cases no real run produces on demand.
import { readFile } from 'node:fs/promises';
import { startDemo, type DemoMode } from '../../src/demo/server.js';
import { runOk, summarize, type AttackMetrics, type RunResult, type ScenarioResult } from '../../src/model/results.js';
import type { Exchange } from '../../src/model/http.js';
import { ordersScenario, runScenarioFile, writeScenario } from '../helpers/harness.js';
import { closedPort } from '../helpers/net.js';

/** A secret that appears in requests; every report must mask it. */
export const SECRET = 'sk_live_idemchaos_1234567890';
export const AUTH = `Bearer ${SECRET}`;

export interface RealRun {
  result: RunResult;
  /** Scenario name → its YAML text, for locating the attack lines. */
  yaml: Record<string, string>;
}

const SCENARIOS: { name: string; mode: DemoMode | 'unreachable'; attacks: string }[] = [
  { name: 'race orders', mode: 'race', attacks: '  replay: {}\n  concurrent: { requests: 8 }' },
  { name: 'replay orders', mode: 'replay-differs', attacks: '  replay: {}' },
  { name: 'gone orders', mode: 'unreachable', attacks: '  replay: {}' },
];

/**
 * Each scenario against its own demo server (or a closed port), combined in
 * order into one RunResult the way one run over three files would be.
 */
export async function realRun(): Promise<RealRun> {
  const scenarios: ScenarioResult[] = [];
  const yaml: Record<string, string> = {};
  const startedAt = new Date().toISOString();
  let durationMs = 0;
  for (const s of SCENARIOS) {
    const text = ordersScenario({ attacks: s.attacks })
      .replace('name: create order', `name: ${s.name}`)
      .replace('  method: POST\n', `  method: POST\n  headers: { Authorization: "${AUTH}", X-Api-Key: "${SECRET}" }\n`);
    const file = await writeScenario(text);
    yaml[s.name] = await readFile(file, 'utf8');
    if (s.mode === 'unreachable') {
      const r = await runScenarioFile(file, `http://127.0.0.1:${await closedPort()}`, { timeoutMs: 3000 });
      scenarios.push(...r.scenarios);
      durationMs += r.durationMs;
      continue;
    }
    const server = await startDemo({ bug: s.mode, latencyMs: 150, ttlMs: 3000 });
    try {
      const r = await runScenarioFile(file, server.url);
      scenarios.push(...r.scenarios);
      durationMs += r.durationMs;
    } finally {
      await server.close();
    }
  }
  const summary = summarize(scenarios);
  return { result: { startedAt, durationMs, scenarios, summary, ok: runOk(summary) }, yaml };
}

/** Every character the reporters must escape somewhere. */
export const WEIRD = `we%ird \r\n: , < > & " ' | \` $x$ *b* name`;
export const SCRIPT_BODY = '<script>window.__idemchaosPwned = 1</script><img src="x" onerror="window.__idemchaosPwned = 2">';
/** 2026-11-28T10:00:00.000Z, with sub-microsecond parts like real clocks give. */
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0) + 0.1234567;

function exchange(label: string, opts: { status?: number; body?: Buffer | string; reqBody?: string; error?: string; at?: number; took?: number } = {}): Exchange {
  const at = T0 + (opts.at ?? 0);
  const e: Exchange = {
    label,
    request: {
      method: 'POST',
      url: `http://api.example.test/orders?token=${SECRET}`,
      headers: { 'Idempotency-Key': '7d2c1f8e-0000-4000-8000-000000000001', Authorization: AUTH, 'Content-Type': 'application/json' },
      body: Buffer.from(opts.reqBody ?? '{"sku":"widget-1","qty":2}'),
    },
    startedAt: at,
    sentAt: at + 0.5005,
  };
  if (opts.status !== undefined) {
    const body = opts.body === undefined ? Buffer.from('{"id":"ord_1"}') : typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    e.response = { status: opts.status, headers: { 'content-type': 'application/json', 'set-cookie': 'session=abc123' }, body };
    e.firstByteAt = at + 10.2502;
    e.endedAt = at + (opts.took ?? 12.3456789);
  }
  if (opts.error) {
    e.error = opts.error;
    e.errorKind = 'connect';
    e.endedAt = at + (opts.took ?? 1.0004999);
  }
  return e;
}

/** A body of `size` bytes whose byte at 64 KiB falls inside a three-byte character. */
export function bigText(size: number): Buffer {
  const head = Buffer.alloc(64 * 1024 - 1, 'a');
  const tail = Buffer.from('€'.repeat(Math.ceil((size - head.length) / 3)));
  return Buffer.concat([head, tail]).subarray(0, size);
}

/**
 * Two scenarios: the first with every verdict and special characters in
 * names, messages, reasons, paths and bodies; the second a plain pass.
 */
export function handcraftedResult(): RunResult {
  const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x01, 0x02]);
  const weird: ScenarioResult = {
    name: WEIRD,
    file: '/work/space/scenarios/we,ird:%.yaml',
    line: 3,
    target: `http://api.example.test/?key=${SECRET}`,
    attackLines: { replay: 21, reuse: 30 },
    attacks: [
      {
        attack: 'replay',
        verdict: 'fail',
        responseOnly: false,
        durationMs: 1234,
        metrics: { effects: 2, requestsSent: 2 } as AttackMetrics,
        findings: [
          {
            kind: 'wrong-replay',
            message: `replay differs: 100% "wrong" <b>bold</b> & 'quoted' a:b, c\r\nsecond line with ${SECRET}`,
            evidence: {
              exchanges: [exchange('original', { status: 201, body: SCRIPT_BODY }), exchange('retry (same key)', { status: 200, body: 'ctl:\u0001\u0008\u000b\u001f\ufffe end', at: 20 })],
              oracle: { before: 0, after: 1, ids: ['ord_1'] },
              diff: ['status: 201 → 200', '$.note: "```" → "<b>|</b>"'],
            },
          },
          {
            kind: 'duplicate-effect',
            message: 'the replay made a second order ctl:\u0001\u0008\u000b\u001f\ufffe\ud800 end',
            evidence: {
              exchanges: [exchange('binary', { status: 201, body: binary, at: 40 }), exchange('big', { status: 201, body: bigText(70_000), at: 60 })],
              oracle: { before: 0, after: 2, ids: ['ord_1', 'ord_2'], note: 'read twice' },
            },
          },
        ],
      },
      {
        attack: 'concurrent',
        verdict: 'pass',
        responseOnly: false,
        durationMs: 400,
        metrics: {
          engine: 'h1',
          requests: 5,
          bursts: 1,
          duplicateBursts: 0,
          releaseSkewMs: 0.2,
          timeline: [
            { request: 1, status: 201, releasedMs: 0, firstByteMs: 150.5, endedMs: 151 },
            { request: 2, status: 409, releasedMs: 0.05, firstByteMs: 2.5, endedMs: 3 },
            { request: 3, status: 409, releasedMs: 0.1, firstByteMs: 3.1, endedMs: 3.6 },
            { request: 4, status: 500, releasedMs: 0.12, firstByteMs: 20, endedMs: 40 },
            { request: 5, status: 0, releasedMs: 0.2, endedMs: 60 },
          ],
        } as AttackMetrics,
        findings: [],
      },
      {
        attack: 'reuse',
        verdict: 'error',
        reason: `the first request was answered 503, not a success: "busy" <retry> & 50% later,\nsee ${SECRET}`,
        responseOnly: false,
        durationMs: 75,
        metrics: {},
        findings: [],
        errorEvidence: { exchanges: [exchange('first', { error: 'connect ECONNREFUSED 127.0.0.1:1', at: 80 })] },
      },
      { attack: 'expiry', verdict: 'skip', reason: 'no idempotency.ttl: the expiry attack needs it', responseOnly: false, durationMs: 0, metrics: {}, findings: [] },
      { attack: 'drop', verdict: 'pass', responseOnly: true, durationMs: 2500, metrics: { cuts: ['after-send'], retries: 1 } as AttackMetrics, findings: [] },
    ],
  };
  const plain: ScenarioResult = {
    name: 'plain',
    file: '/work/space/scenarios/plain.yaml',
    line: 1,
    target: 'http://api.example.test',
    attacks: [{ attack: 'replay', verdict: 'pass', responseOnly: false, durationMs: 10, metrics: { effects: 1 } as AttackMetrics, findings: [] }],
  };
  const scenarios = [weird, plain];
  const summary = summarize(scenarios);
  return { startedAt: '2026-11-28T10:00:00.000Z', durationMs: 4219, scenarios, summary, ok: false };
}
