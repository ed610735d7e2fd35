// The four requests of missing-key, shared by execute and preview.
import { randomInt } from 'node:crypto';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario } from '../../scenario/types.js';

export type KeyCase = 'no key' | 'empty key' | 'key over the maximum' | 'key of the maximum length';

export interface KeyProbe {
  case: KeyCase;
  /** The key header's value; undefined: no header at all. */
  key: string | undefined;
  label: string;
}

/**
 * (a) no key header, (b) an empty value, (c) maxLength + 1 characters,
 * (d) exactly maxLength; without a documented limit, (c) and (d) are left out.
 */
export function keyProbes(scenario: Scenario): KeyProbe[] {
  const max = scenario.idempotency.maxLength;
  const probes: KeyProbe[] = [
    { case: 'no key', key: undefined, label: `no ${scenario.idempotency.header} header` },
    { case: 'empty key', key: '', label: `an empty ${scenario.idempotency.header}` },
  ];
  if (max !== undefined) {
    probes.push({ case: 'key over the maximum', key: printableKey(max + 1), label: `a key of ${max + 1} characters (the maximum is ${max})` });
    probes.push({ case: 'key of the maximum length', key: printableKey(max), label: `a key of exactly ${max} characters` });
  }
  return probes;
}

/** The request with the key header set to `key`, or without it. */
export function withKey(request: HttpRequest, header: string, key: string | undefined): HttpRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== header.toLowerCase()));
  if (key !== undefined) headers[header] = key;
  return { ...request, headers };
}

/** Random printable ASCII, never a space (which HTTP would trim at either end), never a quote or backslash. */
function printableKey(length: number): string {
  const alphabet = '!#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
