// init --from on real vendor documents and on small ones made for edge cases:
// which operations are taken, what each file says, and that every file loads
// exactly as `validate` loads it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { generateScenarios, type Generated } from '../../src/openapi/generate.js';
import { OpenApiError } from '../../src/openapi/document.js';
import { loadScenarios } from '../../src/run/load.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'openapi');
const fixture = (name: string) => path.join(FIXTURES, name);

async function generate(name: string, more: { operations?: string[]; allPosts?: boolean; preset?: string } = {}): Promise<Generated> {
  return generateScenarios({ from: fixture(name), out: 'scenarios', operations: more.operations ?? [], allPosts: more.allPosts ?? false, ...(more.preset ? { preset: more.preset } : {}) });
}

/** The file for an operation, parsed. */
function scenarioOf(g: Generated, method: string, p: string): { text: string; value: Record<string, any> } {
  const f = g.files.find((x) => x.op.method === method && x.op.path === p);
  assert.ok(f, `no file for ${method} ${p}; files: ${g.files.map((x) => `${x.op.method} ${x.op.path}`).join(', ')}`);
  return { text: f.text, value: parse(f.text) as Record<string, any> };
}

/** Every file through the loader `validate` uses (undefined env, vars, secrets are warnings there). */
async function assertAllValidate(g: Generated): Promise<void> {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'idemchaos-openapi-'));
  const files: string[] = [];
  for (const f of g.files) {
    const file = path.join(dir, path.basename(f.file));
    await writeFile(file, f.text);
    files.push(file);
  }
  const { scenarios } = await loadScenarios(files, { scope: { env: {}, vars: {}, secrets: {} }, undefinedVariables: 'warn' });
  assert.equal(scenarios.length, g.files.length);
}

const taken = (g: Generated) => g.selection.taken.map((c) => `${c.op.method} ${c.op.path}`);
const leftOut = (g: Generated) => Object.fromEntries(g.selection.left.map((l) => [`${l.op.method} ${l.op.path}`, l.reason]));

test('Adyen Checkout (OpenAPI 3.1): the key declared through $ref, its length read from prose, no oracle', async () => {
  const g = await generate('adyen-checkout-v71.json');
  assert.equal(g.api.format, 'OpenAPI 3.1.0');
  assert.deepEqual(taken(g).sort(), [
    'POST /cancels',
    'POST /orders',
    'POST /orders/cancel',
    'POST /payments/{paymentPspReference}/captures',
    'POST /payments/{paymentPspReference}/refunds',
  ]);
  assert.match(g.selection.taken[0]!.reason, /declares the header parameter Idempotency-Key \(through \$ref #\/components\/parameters\/Idempotency-Key\)/);
  assert.match(leftOut(g)['GET /sessions/{sessionId}']!, /declares no Idempotency-Key header/);
  await assertAllValidate(g);

  const refunds = scenarioOf(g, 'POST', '/payments/{paymentPspReference}/refunds');
  assert.equal(refunds.value.target, '{{ env.BASE_URL }}');
  assert.match(refunds.text, /the document's first server: https:\/\/checkout-test\.adyen\.com\/v71/);
  assert.equal(refunds.value.idempotency.header, 'Idempotency-Key');
  assert.equal(refunds.value.idempotency.ttl, undefined);
  assert.match(refunds.text, /# maxLength: 64 .*"A unique identifier for the message with a maximum of 64 characters/);
  assert.match(refunds.text, /# ttl: 24h +# TODO/);
  // A path parameter without an example becomes a var; the security scheme a secret.
  assert.match(refunds.value.request.path, /^\/payments\/(\{\{ vars\.paymentPspReference \}\}|[^{}/]+)\/refunds$/);
  const auth = Object.entries(refunds.value.request.headers as Record<string, string>);
  assert.equal(auth.length, 1);
  assert.match(auth[0]![1], /\{\{ secrets\.[A-Z_]+ \}\}/);
  // The body carries the run id in the merchant's reference; the id is Adyen's pspReference, not the echoed reference.
  assert.equal(refunds.value.request.json.reference, '{{ run.id }}');
  assert.deepEqual(refunds.value.effects, { id: '$.pspReference' });
  assert.match(refunds.text, /TODO: no oracle: .*verdicts are response-only/s);
  assert.deepEqual(refunds.value.expect.success, [201]);
  assert.deepEqual(refunds.value.expect.mismatch, [422]);
  assert.equal(refunds.value.expect.inFlight, undefined);
  assert.match(refunds.text, /# inFlight: \[409\] +# the ietf preset's: the document describes no 409 response/);
  assert.match(refunds.text, /# invalidKey: \[400\] +# documented 400/);
  assert.match(refunds.text, /# operations: .*\n(#   - .*\n){4}/);
  assert.match(refunds.text, /# tenants: /);
});

test('Svix (OpenAPI 3.0): lower-case key header, GET/PUT/DELETE left out, messages counted by channel', async () => {
  const g = await generate('svix.json');
  assert.deepEqual(taken(g).sort(), ['POST /api/v1/app/', 'POST /api/v1/app/{app_id}/msg/']);
  const left = leftOut(g);
  assert.match(left['GET /api/v1/app/']!, /GET is safe/);
  assert.match(left['PUT /api/v1/app/{app_id}/']!, /PUT is idempotent by HTTP's definition.*--operation "PUT \/api\/v1\/app\/\{app_id\}\/" takes it/);
  assert.match(left['DELETE /api/v1/app/{app_id}/']!, /DELETE is idempotent/);
  await assertAllValidate(g);

  const msg = scenarioOf(g, 'POST', '/api/v1/app/{app_id}/msg/');
  assert.match(msg.text, /the document names no server/);
  assert.equal(msg.value.idempotency.header, 'idempotency-key');
  assert.equal(msg.value.request.headers.Authorization, 'Bearer {{ secrets.TOKEN }}');
  // The event type is a required field with an example (it must exist): left alone; channels carry the run id.
  assert.equal(msg.value.request.json.eventType, 'user.signup');
  assert.deepEqual(msg.value.request.json.channels, ['{{ run.id }}']);
  const app = msg.value.request.path.split('/')[4];
  assert.deepEqual(msg.value.effects, {
    count: { request: { method: 'GET', path: `/api/v1/app/${app}/msg/?channel={{ run.id }}` }, select: '$.data' },
    id: '$.id',
    ids: '$.data[*].id',
  });
  assert.deepEqual(msg.value.expect.inFlight, [409]);
  assert.deepEqual(msg.value.expect.mismatch, [422]);

  // --operation takes a PUT the selection left out.
  const withPut = await generate('svix.json', { operations: ['put /api/v1/app/{app_id}'] });
  assert.ok(taken(withPut).includes('PUT /api/v1/app/{app_id}/'));
  await assertAllValidate(withPut);
});

test('Swagger Petstore (Swagger 2.0): nothing declares a key; --all-posts takes every POST, forms and uploads included', async () => {
  const none = await generate('petstore-swagger2.yaml');
  assert.equal(none.files.length, 0);
  assert.equal(none.selection.left.length, none.api.operations.length);
  assert.match(leftOut(none)['POST /pet']!, /declares no Idempotency-Key header parameter .*\(--all-posts takes every POST\)/);
  const g = await generate('petstore-swagger2.yaml', { allPosts: true });
  assert.deepEqual(taken(g).sort(), ['POST /pet', 'POST /pet/{petId}', 'POST /pet/{petId}/uploadImage', 'POST /store/order', 'POST /user', 'POST /user/createWithArray', 'POST /user/createWithList']);
  assert.ok(g.selection.taken.every((c) => c.reason === '--all-posts takes every POST'));
  await assertAllValidate(g);
  const pet = scenarioOf(g, 'POST', '/pet');
  assert.match(pet.text, /the document's first server: https?:\/\/petstore\.swagger\.io\/v2/);
  assert.equal(pet.value.request.json.name, '{{ run.id }}');
  assert.equal(pet.value.request.json.id, undefined, 'only required fields are sampled');
  const form = scenarioOf(g, 'POST', '/pet/{petId}');
  assert.equal(form.value.request.path, '/pet/{{ vars.petId }}');
  assert.equal(form.value.request.headers['Content-Type'], 'application/x-www-form-urlencoded');
  assert.equal(form.value.request.body, 'name={{ run.id }}');
  const upload = scenarioOf(g, 'POST', '/pet/{petId}/uploadImage');
  assert.equal(upload.value.request.json, undefined);
  assert.equal(upload.value.request.body, undefined);
  assert.match(upload.text, /TODO: the operation takes multipart\/form-data/);
});

test('$ref chains, allOf and oneOf bodies, path parameters, extensions, an API key in the query, no servers', async () => {
  const g = await generate('edge/refs-and-compositions.yaml');
  assert.deepEqual(taken(g), ['POST /accounts/{accountId}/transfers', 'POST /accounts/{accountId}/transfers/{transferId}/reverse', 'POST /payouts']);
  assert.match(g.selection.taken[0]!.reason, /through \$ref #\/components\/parameters\/KeyAlias/);
  assert.match(g.selection.taken[1]!.reason, /x-idempotent: true/);
  assert.match(leftOut(g)['PUT /payouts/{payoutId}']!, /PUT is idempotent/);
  await assertAllValidate(g);

  const transfer = scenarioOf(g, 'POST', '/accounts/{accountId}/transfers');
  // The parameter's schema is reached through two $refs; its description states the retention.
  assert.equal(transfer.value.idempotency.header, 'idempotency-key');
  assert.equal(transfer.value.idempotency.ttl, '168h');
  assert.match(transfer.text, /ttl: 168h # read from the description of the idempotency-key parameter: "Keys expire after 7 days\."/);
  assert.match(transfer.text, /# maxLength: 255 +# from the parameter's schema/);
  assert.equal(transfer.value.request.path, '/accounts/acc_42/transfers?api_key={{ secrets.QUERY_KEY }}');
  // allOf: both members' required fields; the enum and the uuid format honoured; the filterable field set to the run id.
  const body = transfer.value.request.json;
  assert.deepEqual(Object.keys(body).sort(), ['amount', 'currency', 'external_id', 'to']);
  assert.equal(body.currency, 'EUR');
  assert.match(body.to, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.equal(body.external_id, '{{ run.id }}');
  assert.deepEqual(transfer.value.effects, {
    count: { request: { method: 'GET', path: '/accounts/acc_42/transfers?external_id={{ run.id }}&limit=10' }, select: '$' },
    id: '$.id',
    ids: '$[*].id',
  });
  // A week's retention: expiry is left out of a routine run, with the reason.
  assert.deepEqual(Object.keys(transfer.value.attacks), ['replay', 'concurrent', 'reuse', 'drop']);
  assert.match(transfer.text, /expiry is left out: with a 168h retention/);

  const reverse = scenarioOf(g, 'POST', '/accounts/{accountId}/transfers/{transferId}/reverse');
  assert.equal(reverse.value.request.path, '/accounts/acc_42/transfers/{{ vars.transferId }}/reverse?api_key={{ secrets.QUERY_KEY }}');
  assert.equal(reverse.value.idempotency.header, 'Idempotency-Key', "no key parameter: the preset's header");
  // oneOf: the first alternative's fields.
  assert.deepEqual(reverse.value.request.json, { reason: 'duplicate', note: '{{ run.id }}' });

  const payout = scenarioOf(g, 'POST', '/payouts');
  assert.equal(payout.value.idempotency.header, 'X-Request-Key');
  assert.equal(payout.value.idempotency.ttl, '90m');
  assert.deepEqual(payout.value.request.headers, { 'X-Tenant': 'acme' }, 'security: [] means no credentials; a required header keeps its example');
  // The only string field is too short for a run id: said, not forced.
  assert.deepEqual(payout.value.request.json, { amount: 1 });
  assert.match(payout.text, /TODO: no field of this body can carry \{\{ run\.id \}\}/);
  assert.deepEqual(payout.value.effects, { id: '$.payout_id' });
});

test('form-encoded bodies, a key accepted on every POST, the retention read from the description', async () => {
  const g = await generate('edge/form-encoded.yaml', { allPosts: true, preset: 'stripe' });
  await assertAllValidate(g);
  const customers = scenarioOf(g, 'POST', '/v1/customers');
  assert.equal(customers.value.preset, 'stripe');
  assert.match(customers.text, /the document's first server: https:\/\/eu\.api\.example\.test\/v1/);
  assert.equal(customers.value.request.headers['Content-Type'], 'application/x-www-form-urlencoded');
  assert.equal(customers.value.request.body, 'email={{ run.id }}');
  assert.equal(customers.value.idempotency.ttl, '24h');
  assert.match(customers.text, /read from the document's description: "Keys are eligible to be removed from the system after they're at least 24 hours old\."/);
  assert.deepEqual(customers.value.effects, {
    count: { request: { method: 'GET', path: '/v1/customers?email={{ run.id }}' }, select: '$.data' },
    id: '$.id',
    ids: '$.data[*].id',
  });
  assert.match(customers.text, /# mismatch: \[400\] +# the stripe preset's/);
  const refunds = scenarioOf(g, 'POST', '/v1/refunds');
  // charge names a charge that must exist (it has an example), expand is no tag: nothing carries the run id.
  assert.equal(refunds.value.request.body, 'charge=ch_123');
  assert.match(refunds.text, /TODO: no field of this body can carry/);
});

test('Swagger 2.0 without examples or a host: samples from schemas, formData as a form, a relative server', async () => {
  const g = await generate('edge/swagger2-no-examples.yaml');
  await assertAllValidate(g);
  const open = scenarioOf(g, 'POST', '/tickets');
  assert.match(open.text, /first server: \/api \(relative/);
  assert.equal(open.value.request.headers.Authorization, 'Basic {{ secrets.BASIC }}');
  assert.deepEqual(open.value.request.json, { subject: '{{ run.id }}', priority: 1 });
  assert.deepEqual(open.value.effects, {
    count: { request: { method: 'GET', path: '/tickets?subject={{ run.id }}' }, select: '$.total' },
    id: '$.ticket_id',
    ids: '$.tickets[*].ticket_id',
  });
  assert.deepEqual(open.value.expect, { success: [201], inFlight: [409], mismatch: [422], afterExpiry: 'new' });
  assert.match(open.text, /# maxLength: 36/);
  const comment = scenarioOf(g, 'POST', '/tickets/{ticketId}/comments');
  assert.equal(comment.value.request.body, 'text={{ run.id }}');
  assert.equal(comment.value.request.path, '/tickets/{{ vars.ticketId }}/comments');
});

test('a broken document is a usage error naming the place in the file as written', async () => {
  const cases: [string, RegExp][] = [
    ['edge/broken-missing-ref.yaml', /Missing \$ref pointer "#\/components\/parameters\/IdempotencyKey"[^\n]*\n\s*--> [^\n]*broken-missing-ref\.yaml:7:17/],
    ['edge/broken-schema.yaml', /must NOT have unevaluated properties: 'responze' is not allowed here\n\s*--> [^\n]*broken-schema\.yaml:11:7\n/],
    ['edge/broken-syntax.yaml', /--> [^\n]*broken-syntax\.yaml:\d+:\d+/],
  ];
  for (const [name, pattern] of cases) {
    await assert.rejects(generate(name), (err: unknown) => {
      assert.ok(err instanceof OpenApiError, `${name}: ${String(err)}`);
      assert.equal(err.kind, 'usage');
      assert.match(err.message, pattern, name);
      return true;
    });
  }
  await assert.rejects(generate('no-such-file.yaml'), /cannot read .*no-such-file\.yaml: ENOENT/);
  await assert.rejects(generate('../express-orders.yaml'), /not an OpenAPI document/);
});

test('--operation names one the document does not have: a usage error with the closest', async () => {
  await assert.rejects(generate('svix.json', { operations: ['POST /api/v1/apps/'] }), (err: unknown) => {
    assert.ok(err instanceof OpenApiError);
    assert.match(err.message, /has no such operation; did you mean "POST \/api\/v1\/app\/"\?/);
    return true;
  });
  await assert.rejects(generate('svix.json', { operations: ['/api/v1/app/'] }), /write the method and the path/);
});

test('the same document gives the same files, byte for byte', async () => {
  for (const [name, opts] of [['adyen-checkout-v71.json', {}], ['edge/form-encoded.yaml', { allPosts: true }]] as const) {
    const a = await generate(name, opts);
    const b = await generate(name, opts);
    assert.deepEqual(b.files.map((f) => [f.file, f.text]), a.files.map((f) => [f.file, f.text]), name);
  }
});
