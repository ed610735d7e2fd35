// One loader worker, reused case after case; a case that runs past its bound
// is stopped by terminating the worker (a busy loop cannot be interrupted any
// other way), and the next case gets a fresh one.
import { Worker } from 'node:worker_threads';
import type { Job, Outcome } from './protocol.js';

export class LoaderWorker {
  private worker: Worker | undefined;

  constructor(private readonly boundMs: number) {}

  async load(job: Job): Promise<Outcome> {
    const worker = this.worker ?? this.spawn();
    const started = performance.now();
    return new Promise<Outcome>((resolve) => {
      const done = (outcome: Outcome) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(outcome);
      };
      const onMessage = (outcome: Outcome) => done(outcome);
      const onError = (e: Error) => {
        this.worker = undefined;
        done({ kind: 'died', error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim() });
      };
      const onExit = (code: number) => {
        this.worker = undefined;
        done({ kind: 'died', error: `worker exited with ${code}` });
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void worker.terminate();
        done({ kind: 'timeout', ms: performance.now() - started });
      }, this.boundMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private spawn(): Worker {
    // The CLI's main thread has V8's default stack (under 1 MB); a worker
    // gets 4 MB unless told otherwise, which would hide stack overflows.
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1024 },
    });
    this.worker = worker;
    return worker;
  }
}
