// What the demo creates: orders, each belonging to the tenant that created it.
// One collection is shared by every instance of a demo, like a database.

import { randomUUID } from 'node:crypto';
import { HttpError } from './http.js';

export interface Order {
  id: string;
  ref: string | null;
  createdAt: string;
  [field: string]: unknown;
}

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

/** Refuses (400) a body the operation cannot use; nothing is claimed or created before this passed. */
export function parseOrderBody(text: string): Record<string, unknown> {
  return parseObject(text);
}

/** The order echoes every field it was sent, except an id: the server names it. */
export function buildOrder(body: Record<string, unknown>): Order {
  const { id: _ignoredId, ...fields } = body;
  return {
    id: newId('ord'),
    ...fields,
    ref: (body.ref as string | null | undefined) ?? null,
    createdAt: new Date().toISOString(),
  };
}
