// The command run behind `--`: started in a process group of its own with
// IDEMCHAOS_PROXY_URL set, so that the group, whatever it spawned, can be
// ended at once at the bound or on Ctrl-C.
import { spawn } from 'node:child_process';
import { CannotTest } from '../model/errors.js';
import type { ProxyCommand } from '../model/proxy.js';

export interface RunningChild {
  /** Settles when the command has exited (its group is then ended too). */
  done: Promise<ProxyCommand>;
  /** Ends the group: SIGTERM, then SIGKILL after graceMs. */
  stop(reason: 'duration' | 'signal'): void;
}

/** Rejects with CannotTest when the command cannot be started (not found, not executable). */
export function startChild(argv: string[], env: NodeJS.ProcessEnv, graceMs = 2_000): Promise<RunningChild> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new CannotTest('no command given after --'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env, detached: true });
    let stoppedBy: 'duration' | 'signal' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const group = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new CannotTest(`the command could not start: ${argv.join(' ')}: ${err.code ?? err.message}`));
    });
    child.once('spawn', () => {
      const done = new Promise<ProxyCommand>((settle) => {
        child.once('exit', (code, signal) => {
          if (killTimer) clearTimeout(killTimer);
          // Whatever the command left running in its group ends with it.
          group('SIGTERM');
          settle({
            argv,
            exitCode: code,
            signal,
            stoppedByDuration: stoppedBy === 'duration',
            interrupted: stoppedBy === 'signal',
            durationMs: Date.now() - started,
          });
        });
      });
      resolve({
        done,
        stop(reason) {
          if (stoppedBy) return;
          stoppedBy = reason;
          group('SIGTERM');
          killTimer = setTimeout(() => group('SIGKILL'), graceMs);
          killTimer.unref();
        },
      });
    });
  });
}
