// Shared by the CLI tests: readable failure output and a demo API per test.
import { startDemo, type DemoOptions, type DemoServer } from '../../src/demo/server.js';
import type { CliResult } from './harness.js';

export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export async function withDemo<T>(opts: DemoOptions, fn: (server: DemoServer) => Promise<T>): Promise<T> {
  const server = await startDemo({ latencyMs: 20, ...opts });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
