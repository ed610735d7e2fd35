// The real executable as a child process the test can signal, with when it
// ended: for the tests of interruption and of exiting on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './harness.js';

export interface Ended {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Date.now() at the 'exit' event. */
  endedAt: number;
}

export interface Running {
  child: ChildProcess;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited and its output is read; it is SIGKILLed after timeoutMs. */
  ended: Promise<Ended>;
  /** Sends a signal and returns Date.now() just before. */
  signal(name: NodeJS.Signals): number;
}

export function startCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  let exited: { code: number | null; signal: NodeJS.Signals | null; endedAt: number } | undefined;
  child.on('exit', (code, signal) => (exited = { code, signal, endedAt: Date.now() }));
  const ended = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(killer);
      resolve({ ...exited!, stdout, stderr });
    });
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    ended,
    signal: (name) => {
      const at = Date.now();
      child.kill(name);
      return at;
    },
  };
}
