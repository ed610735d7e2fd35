// Evidence kept until the reports holds the start of each response body, not
// every whole body of a burst: against a server whose answers are 1 MiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { planScenario } from '../../src/plan/plan.js';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import { RETAINED_BODY_BYTES } from '../../src/model/http.js';
import { jsonReport } from '../../src/report/json.js';
import { orderScenario } from '../helpers/builders.js';
import { close, listen } from '../helpers/net.js';

const BIG = 1024 * 1024;

test('a burst of 1 MiB answers: every kept exchange holds at most RETAINED_BODY_BYTES, and the JSON report still says how long the body was', { timeout: 120_000 }, async () => {
  const body = Buffer.alloc(BIG, 'x');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'text/plain', 'content-length': BIG }).end(body));
  });
  const port = await listen(server);
  try {
    const scenario = orderScenario({ target: `http://127.0.0.1:${port}`, attacks: { replay: {}, concurrent: { requests: 30, bursts: 1 } } });
    const plan = planScenario(scenario, { only: ['replay', 'concurrent'] });
    const run = await runPlans([plan], { scope: { env: {}, vars: {}, secrets: {} }, transport: { timeoutMs: 10_000 } }, SILENT);
    const attacks = run.scenarios[0]!.attacks;
    const exchanges = attacks.flatMap((a) => [...(a.evidence?.exchanges ?? []), ...a.findings.flatMap((f) => f.evidence.exchanges), ...(a.errorEvidence?.exchanges ?? [])]);
    const answered = exchanges.filter((e) => e.response);
    assert.ok(answered.length >= 30, `kept exchanges with a response: ${answered.length} (${attacks.map((a) => `${a.attack} ${a.verdict} ${a.reason ?? ''}`).join('; ')})`);
    for (const e of answered) {
      assert.equal(e.response!.body.length, RETAINED_BODY_BYTES, e.label);
      assert.equal(e.response!.bodyBytes, BIG, e.label);
      // A copy, not a view into the whole answer: the megabyte can go.
      assert.ok(e.response!.body.buffer.byteLength < BIG, `${e.label} still holds a ${e.response!.body.buffer.byteLength}-byte buffer`);
    }
    const report = jsonReport(run, { name: 'idemchaos', version: 'test' }) as unknown as {
      scenarios: { attacks: { evidence?: { exchanges: { response?: { body: { truncated?: { shownBytes: number; totalBytes: number } } } }[] } }[] }[];
    };
    const shown = report.scenarios[0]!.attacks.flatMap((a) => a.evidence?.exchanges ?? []).filter((e) => e.response);
    assert.ok(shown.length > 0);
    for (const e of shown) assert.deepEqual(e.response!.body.truncated, { shownBytes: 64 * 1024, totalBytes: BIG });
  } finally {
    await close(server);
  }
});
