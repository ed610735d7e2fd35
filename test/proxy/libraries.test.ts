// Real client libraries from npm that retry POSTs on their own, pointed at
// the proxy in front of a stub upstream. What each is expected to show comes
// from reading its code (see the comments at each describe).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import Stripe from 'stripe';
import { Agent, RetryAgent, request } from 'undici';
import { startStub, throughProxy, verdictsOf, type Stub } from './helpers.js';

let stub: Stub;
before(async () => {
  stub = await startStub();
});
after(async () => {
  await stub.close();
});

// openai 6.x (Stainless): client.js makeRequest/retryRequest retry connection errors, 408, 409, 429 and
// 5xx (shouldRetry) up to maxRetries, sleeping Retry-After when given (retryRequest), else 0.5 s doubling
// with jitter. buildHeaders only adds an idempotency header when `idempotencyHeader` is set, and the
// OpenAI client never sets it: a POST is retried with no key unless the caller passes one in `headers`
// (the same options object, so the same key, on every retry). X-Stainless-Retry-Count changes per attempt.
describe('openai (Stainless SDK)', () => {
  const client = (url: string) => new OpenAI({ apiKey: 'sk-test-openai-123', baseURL: `${url}/v1`, maxRetries: 2, timeout: 5000 });
  const create = (c: OpenAI, headers?: Record<string, string>) =>
    c.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }, headers ? { headers } : {});

  it('retries POSTs with no key: unsafe-retry after a lost response and after a 503; after a 409 it waits as told', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response', 'server-error', 'in-flight'], async (url) => {
      const c = client(url);
      for (let i = 0; i < 3; i++) await create(c);
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'unsafe-retry'],
      ['server-error→503 -→200', 'unsafe-retry'],
      ['in-flight→409 -→200', 'pass'],
    ]);
    const retry = operations[0]!.attempts[1]!;
    assert.equal(retry.exchange.request.headers['x-stainless-retry-count'], '1', 'the SDK counts its retries in a header');
    assert.equal(retry.headersChanged, undefined, 'which is volatile, so no header is reported as changed');
    assert.equal(retry.path, '/v1/chat/completions');
  });

  it('with a key the caller supplies in headers, every retry keeps it: nothing to find', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response', 'server-error'], async (url) => {
      const c = client(url);
      for (let i = 0; i < 2; i++) await create(c, { 'Idempotency-Key': randomUUID() });
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'pass'],
      ['server-error→503 -→200', 'pass'],
    ]);
  });
});

// stripe 23.x: RequestSender._makeHeaders puts 'Idempotency-Key': _defaultIdempotencyKey(), which is
// `stripe-node-retry-${uuid4()}` for every v1 POST, once per request: the headers object is built in
// prepareAndMakeRequest and reused by every retry. _shouldRetry retries a closed connection (ECONNRESET,
// EPIPE) once even with maxNetworkRetries 0, and otherwise connection errors, 409 and 5xx up to
// maxNetworkRetries; retryRequest sleeps _getSleepTimeInMS, at least initialNetworkRetryDelay (0.5 s), and
// never reads Retry-After.
describe('stripe (stripe-node)', () => {
  const client = (url: string, maxNetworkRetries: number) => {
    const u = new URL(url);
    return new Stripe('sk_test_stripe_123', { host: u.hostname, port: u.port, protocol: 'http', maxNetworkRetries, telemetry: false });
  };

  it('keeps its generated key on every retry: a lost response is retried safely, even with retries off', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response'], async (url) => {
      await client(url, 2).customers.create({ email: 'a@example.test' });
      await client(url, 0).customers.create({ email: 'b@example.test' });
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'pass'],
      ['drop-response→reset -→200', 'pass'],
    ]);
    assert.match(operations[0]!.key!, /^stripe-node-retry-[0-9a-f]{8}-[0-9a-f]{4}-4/);
    assert.equal(operations[0]!.attempts[1]!.key, operations[0]!.key);
    assert.equal(operations[0]!.path, '/v1/customers');
  });

  it('ignores Retry-After: after a 409 or a 503 asking for 1 s it retries after its own 0.5 s', async () => {
    const { operations } = await throughProxy(stub.url, ['in-flight', 'server-error'], async (url) => {
      const c = client(url, 2);
      await c.customers.create({ email: 'c@example.test' });
      await c.customers.create({ email: 'd@example.test' });
    });
    assert.deepEqual(verdictsOf(operations), [
      ['in-flight→409 -→200', 'ignored-retry-after'],
      ['server-error→503 -→200', 'ignored-retry-after'],
    ]);
    const [first, retry] = operations[0]!.attempts;
    const gap = retry!.at - first!.endedAt;
    assert.ok(gap >= 450 && gap < 975, `retried ${gap} ms after the 409`);
  });
});

// undici 7 RetryAgent (lib/handler/retry-handler.js): methods default to GET, HEAD, OPTIONS, PUT, DELETE,
// TRACE, so a POST is retried only when configured; it then resends the same request, headers and all,
// on the error codes (ECONNRESET among them) and statuses it is given, waiting Retry-After when present
// (else minTimeout × timeoutFactor^n). It adds no key of its own.
describe('undici RetryAgent (configured to retry POST)', () => {
  const dispatcher = new RetryAgent(new Agent(), { methods: ['POST'], statusCodes: [503], minTimeout: 100, maxRetries: 2 });
  after(async () => {
    await dispatcher.close();
  });
  const post = async (url: string, headers: Record<string, string>) => {
    const res = await request(`${url}/v1/orders`, { method: 'POST', body: '{"sku":"a"}', headers: { 'content-type': 'application/json', ...headers }, dispatcher });
    await res.body.text();
    return res.statusCode;
  };

  it('resends the request as it was: no key is unsafe-retry, a key set by the caller is kept; Retry-After is obeyed', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response', 'server-error', 'drop-response', 'server-error'], async (url) => {
      assert.equal(await post(url, {}), 200);
      assert.equal(await post(url, { 'x-op': '2' }), 200);
      assert.equal(await post(url, { 'Idempotency-Key': randomUUID(), 'x-op': '3' }), 200);
      assert.equal(await post(url, { 'Idempotency-Key': randomUUID(), 'x-op': '4' }), 200);
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'unsafe-retry'],
      ['server-error→503 -→200', 'unsafe-retry'],
      ['drop-response→reset -→200', 'pass'],
      ['server-error→503 -→200', 'pass'],
    ]);
  });
});
