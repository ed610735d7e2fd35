// Forked helper processes (bench/target.ts) and a tiny request/reply protocol
// over their IPC channel. Every wait is bounded; every child is tracked so the
// bench can stop the ones it started, by handle, whatever way it ends.
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export type Role = 'spread' | 'demo' | 'busy' | 'server' | 'h1-client' | 'mem-client';

export interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

export interface Child {
  role: Role;
  proc: ChildProcess;
  /** What the child sent with its 'ready' message (ports, URLs). */
  info: Record<string, unknown>;
  /** Sends { op, ...args } and waits (at most timeoutMs) for the matching reply. */
  call(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<Reply>;
  /** SIGTERM, then SIGKILL if it has not exited within a second. Safe to call twice. */
  stop(): Promise<void>;
}

const TARGET = fileURLToPath(new URL('./target.js', import.meta.url));
const live = new Set<ChildProcess>();

/** Last-resort cleanup: kills, by handle, every child this process started and has not stopped. */
export function killAllChildren(): void {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export async function startChild(role: Role, config: Record<string, unknown> = {}, readyTimeoutMs = 20_000): Promise<Child> {
  const proc = fork(TARGET, [role, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  live.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => live.delete(proc));

  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  let info: Record<string, unknown> | undefined;
  let readyResolve: (() => void) | undefined;
  let readyReject: ((err: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });

  proc.on('message', (raw: unknown) => {
    const msg = raw as Record<string, unknown>;
    if (msg.type === 'ready') {
      info = msg;
      readyResolve?.();
    } else if (msg.type === 'fatal') {
      readyReject?.(new Error(`${role} child failed: ${String(msg.error)}`));
    } else if (typeof msg.id === 'number') {
      pending.get(msg.id)?.(msg as Reply);
      pending.delete(msg.id);
    }
  });
  proc.once('exit', (code, signal) => {
    readyReject?.(new Error(`${role} child exited (${signal ?? code}) before it was ready`));
    for (const [, resolve] of pending) resolve({ id: -1, ok: false, error: `${role} child exited` });
    pending.clear();
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(1000).then(() => false)]);
      if (!gone) {
        proc.kill('SIGKILL');
        await Promise.race([exited, sleep(1000)]);
      }
      live.delete(proc);
    })();
    return stopping;
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${role} child not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  readyResolve = undefined;
  readyReject = undefined;

  const call = (op: string, args: Record<string, unknown> = {}, timeoutMs = 5000): Promise<Reply> => {
    const id = nextId++;
    return new Promise<Reply>((resolve) => {
      const t = setTimeout(() => {
        pending.delete(id);
        resolve({ id, ok: false, error: `${role} child did not answer ${op} within ${timeoutMs} ms` });
      }, timeoutMs);
      pending.set(id, (reply) => {
        clearTimeout(t);
        resolve(reply);
      });
      if (!proc.connected || !proc.send({ id, op, ...args })) {
        // send() returning false only means back-pressure; a dead channel is caught by the exit handler.
        if (!proc.connected) {
          clearTimeout(t);
          pending.delete(id);
          resolve({ id, ok: false, error: `${role} child is not connected` });
        }
      }
    });
  };

  return { role, proc, info: info ?? {}, call, stop };
}
