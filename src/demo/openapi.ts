// The demo API's own OpenAPI 3.1 description, served at /openapi.json: what
// `idemchaos init --from` reads to write the demo's scenario. Hand-written to
// match server.ts (a test calls every operation it documents); the key's
// retention in the prose is the server's own, so the generator can read it.

export interface DemoDescriptionOptions {
  /** The server's base URL, e.g. http://127.0.0.1:43121. */
  url: string;
  /** How long a completed key is kept. */
  ttlMs: number;
}

/** `2 seconds`, `500 milliseconds`, `1.5 seconds`. */
function spoken(ms: number): string {
  if (ms < 1000) return `${ms} millisecond${ms === 1 ? '' : 's'}`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')} second${s === 1 ? '' : 's'}`;
}

export function demoOpenApi(options: DemoDescriptionOptions): Record<string, unknown> {
  const retention = `A completed key is kept for ${spoken(options.ttlMs)}.`;
  const error = (description: string, headers?: Record<string, unknown>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'idemchaos demo orders API',
      version: '1.0.0',
      description:
        'The orders API embedded in idemchaos (`idemchaos serve-demo`). Creating an order takes an Idempotency-Key, ' +
        `handled as the IETF draft describes (or, with --bug, broken in one named way). ${retention}`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.url, description: 'this demo server' }],
    paths: {
      '/orders': {
        post: {
          operationId: 'createOrder',
          summary: 'Create an order',
          description:
            'Creates an order. A retry with the same Idempotency-Key and body replays the first response, marked Idempotent-Replayed: true; ' +
            `the same key with another body is refused with 422, and a duplicate that arrives while the first is still running with 409. ${retention}`,
          parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderInput' } } },
          },
          responses: {
            '201': {
              description: 'The order was created (or, for a retry, the first response replayed).',
              headers: {
                Location: { description: 'Where the order can be read.', schema: { type: 'string' } },
                ETag: { schema: { type: 'string' } },
                'Idempotent-Replayed': { description: 'true on a replayed response.', schema: { type: 'string', enum: ['true'] } },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
            },
            '400': error('The Idempotency-Key header is missing, or the body is not a JSON object.'),
            '409': error('A request with this Idempotency-Key is still being processed.', {
              'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
            }),
            '422': error('This Idempotency-Key was used with a different request body.'),
          },
        },
        get: {
          operationId: 'listOrders',
          summary: 'List orders',
          parameters: [
            {
              name: 'ref',
              in: 'query',
              required: false,
              description: 'Only the orders created with this ref.',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'The orders (every order when no ref is given).',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderList' } } },
            },
          },
        },
      },
      '/orders/{id}': {
        get: {
          operationId: 'getOrder',
          summary: 'Read one order',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, example: 'ord_0123456789abcdef0123' }],
          responses: {
            '200': { description: 'The order.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            '404': error('No such order.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDescription',
          summary: 'This description',
          responses: { '200': { description: 'The OpenAPI description of this API.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
    components: {
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: `A unique key per logical request (a UUID, bare or as a quoted string). ${retention}`,
          schema: { type: 'string' },
          example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
        },
      },
      schemas: {
        OrderInput: {
          type: 'object',
          required: ['sku', 'qty'],
          properties: {
            sku: { type: 'string', examples: ['widget-1'] },
            qty: { type: 'integer', minimum: 1, examples: [2] },
            ref: { type: 'string', description: "The client's own reference; GET /orders?ref= lists the orders made with it." },
          },
          additionalProperties: true,
        },
        Order: {
          type: 'object',
          required: ['id', 'ref', 'createdAt'],
          properties: {
            id: { type: 'string', readOnly: true, examples: ['ord_0123456789abcdef0123'] },
            sku: { type: 'string' },
            qty: { type: 'integer' },
            ref: { type: ['string', 'null'] },
            createdAt: { type: 'string', format: 'date-time', readOnly: true },
          },
        },
        OrderList: {
          type: 'object',
          required: ['count', 'items'],
          properties: {
            count: { type: 'integer', description: 'How many orders match.' },
            items: { type: 'array', items: { $ref: '#/components/schemas/Order' } },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' } },
        },
      },
    },
  };
}
