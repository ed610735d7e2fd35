// Servers on 127.0.0.1 for the engine tests: listening, closing, a port with
// nothing on it, polling, and a self-signed certificate.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import type https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type AnyServer = net.Server | http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;

/** Listens on an ephemeral port of 127.0.0.1; resolves with the port. */
export async function listen(server: AnyServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** Closes the server, dropping its open connections first where it can. */
export async function close(server: AnyServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() is true, or fails after ms naming what it waited for. */
export async function waitFor(check: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(10);
  }
}

export interface SelfSigned {
  key: Buffer;
  cert: Buffer;
}

/**
 * A fresh self-signed certificate (and its key) for CN=localhost, valid for
 * IP:127.0.0.1 and DNS:localhost, made with openssl in a temporary directory
 * that is gone again on return.
 */
export function selfSignedCert(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idemchaos-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '1',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
