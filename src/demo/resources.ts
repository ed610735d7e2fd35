// What the demo creates: orders and refunds, each belonging to the tenant that
// created it, and the two operations (POST /orders, POST /refunds) that do.

import { randomUUID } from 'node:crypto';
import { HttpError } from './http.js';

export interface Order {
  id: string;
  ref: string | null;
  createdAt: string;
  [field: string]: unknown;
}

export interface Refund {
  id: string;
  order: string;
  amount: number;
  ref: string | null;
  createdAt: string;
}

export type Resource = Order | Refund;

/** Resources of every tenant; each tenant sees only its own. */
export class Collection<T extends { id: string; ref: string | null }> {
  private readonly entries: { tenant: string; item: T }[] = [];

  add(tenant: string, item: T): void {
    this.entries.push({ tenant, item });
  }

  /** The tenant's resources, in creation order; only those with this ref unless ref is null. */
  list(tenant: string, ref: string | null): T[] {
    return this.entries.filter((e) => e.tenant === tenant && (ref === null || e.item.ref === ref)).map((e) => e.item);
  }

  find(tenant: string, id: string): T | undefined {
    return this.entries.find((e) => e.tenant === tenant && e.item.id === id)?.item;
  }

  /** Copies, so a test cannot change what the server holds; every tenant's unless one is named. */
  snapshot(tenant?: string): T[] {
    return this.entries.filter((e) => tenant === undefined || e.tenant === tenant).map((e) => ({ ...e.item }));
  }
}

function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function parseObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body must be valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  const ref = (body as Record<string, unknown>).ref;
  if (ref !== undefined && ref !== null && typeof ref !== 'string') {
    throw new HttpError(400, 'ref must be a string');
  }
  return body as Record<string, unknown>;
}

/** A POST that creates a resource; keys, tenants and modes are the server's business. */
export interface Operation {
  /** Where it is posted and listed, e.g. '/orders'; a created resource is at path/<id>. */
  readonly path: '/orders' | '/refunds';
  /** For messages: 'order'. */
  readonly noun: string;
  /** Refuses (400) a body the operation cannot use; nothing is claimed or created before this passed. */
  parse(text: string): Record<string, unknown>;
  build(body: Record<string, unknown>): Resource;
}

export const ORDERS: Operation = {
  path: '/orders',
  noun: 'order',
  parse(text) {
    const body = parseObject(text);
    if (typeof body.sku !== 'string' || body.sku === '') throw new HttpError(400, 'sku must be a non-empty string');
    // qty may be left out; when given it is a count.
    if (body.qty !== undefined && !(typeof body.qty === 'number' && Number.isInteger(body.qty) && body.qty > 0)) {
      throw new HttpError(400, 'qty must be a positive integer');
    }
    return body;
  },
  // The order echoes every field it was sent, except an id: the server names it.
  build(body): Order {
    const { id: _ignoredId, ...fields } = body;
    return {
      id: newId('ord'),
      ...fields,
      ref: (body.ref as string | null | undefined) ?? null,
      createdAt: new Date().toISOString(),
    };
  },
};

export const REFUNDS: Operation = {
  path: '/refunds',
  noun: 'refund',
  parse(text) {
    const body = parseObject(text);
    if (typeof body.order !== 'string' || body.order === '') throw new HttpError(400, 'order must be a non-empty string (the order id)');
    if (typeof body.amount !== 'number' || !Number.isFinite(body.amount) || body.amount <= 0) {
      throw new HttpError(400, 'amount must be a positive number');
    }
    return body;
  },
  // A refund is exactly these fields; anything else sent is fingerprinted but not kept.
  build(body): Refund {
    return {
      id: newId('re'),
      order: body.order as string,
      amount: body.amount as number,
      ref: (body.ref as string | null | undefined) ?? null,
      createdAt: new Date().toISOString(),
    };
  },
};

export const OPERATIONS: readonly Operation[] = [ORDERS, REFUNDS];

/** Every resource of a demo, shared by all its instances like one database. */
export class Ledger {
  readonly orders = new Collection<Order>();
  readonly refunds = new Collection<Refund>();

  of(op: Operation): Collection<Resource> {
    return op.path === '/orders' ? this.orders : this.refunds;
  }
}
