import { Worker } from 'node:worker_threads';
import { StoqError, StoqErrorCode } from '../errors.js';
import { trainIsolationForest, type FlatForestData, type IsolationForestOptions } from './isolation-forest.js';

/** Where training ran and how long it took. */
export interface TrainingResult {
  readonly forest: FlatForestData;
  /** Wall time of the training itself (ms). */
  readonly ms: number;
  /** `worker` normally; `inline` when worker threads are unavailable. */
  readonly where: 'worker' | 'inline';
}

interface Pending {
  resolve: (r: TrainingResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The worker's script. Built packages ship `train-worker.js` beside the bundle. Running from
 * TypeScript sources (tests, `tsx`), the worker registers tsx first so it can load the `.ts` file.
 */
function workerScript(): { source: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const target = new URL('./train-worker.ts', here).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(target)}); })`;
    return { source: bootstrap, eval: true };
  }
  return { source: new URL('./train-worker.js', here), eval: false };
}

/**
 * Trains isolation forests in a worker thread, one request at a time, so the event loop (and the
 * per-packet path) never waits for training. Falls back to training inline — still off the packet
 * path, on a timer — when a worker cannot be started, and says so in `where`.
 */
export class ForestTrainer {
  private worker: Worker | undefined;
  private workerFailed: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  /** Why worker threads are not used, when they are not. */
  fallbackReason(): string | undefined {
    return this.workerFailed;
  }

  private start(): Worker | undefined {
    if (this.worker !== undefined || this.workerFailed !== undefined) return this.worker;
    try {
      const script = workerScript();
      const worker = new Worker(script.source, { eval: script.eval });
      worker.unref();
      worker.on('message', (message: { id: number; forest?: FlatForestData; ms?: number; error?: string }) => {
        const p = this.pending.get(message.id);
        if (p === undefined) return;
        this.pending.delete(message.id);
        if (message.forest !== undefined) p.resolve({ forest: message.forest, ms: message.ms ?? 0, where: 'worker' });
        else p.reject(new StoqError(StoqErrorCode.TrainingFailed, `isolation-forest training failed in the worker: ${message.error}; the previous model stays in use`));
      });
      worker.on('error', (err) => this.failAll(err));
      worker.on('exit', (code) => {
        this.worker = undefined;
        if (!this.closed) this.failAll(new Error(`the training worker exited with code ${code}`));
      });
      this.worker = worker;
    } catch (err) {
      this.workerFailed = `worker threads unavailable (${err instanceof Error ? err.message : String(err)}); training inline`;
    }
    return this.worker;
  }

  private failAll(err: unknown): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new StoqError(StoqErrorCode.TrainingFailed, `the isolation-forest training worker failed: ${err instanceof Error ? err.message : String(err)}; the previous model stays in use`, { cause: err }));
    }
  }

  /** Trains on `rows` (row-major, `dimensions` columns). */
  train(rows: Float64Array, dimensions: number, options: IsolationForestOptions): Promise<TrainingResult> {
    if (this.closed) return Promise.reject(new StoqError(StoqErrorCode.TrainingFailed, 'the forest trainer is closed (the node is stopping)'));
    const worker = this.start();
    if (worker === undefined) {
      const started = performance.now();
      const list: number[][] = [];
      for (let i = 0; i + dimensions <= rows.length; i += dimensions) list.push(Array.from(rows.subarray(i, i + dimensions)));
      return Promise.resolve({ forest: trainIsolationForest(list, options), ms: performance.now() - started, where: 'inline' });
    }
    const id = this.nextId++;
    return new Promise<TrainingResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while a request is in flight
      const done = () => {
        if (this.pending.size === 0) worker.unref();
      };
      const p = this.pending.get(id)!;
      this.pending.set(id, { resolve: (r) => (p.resolve(r), done()), reject: (e) => (p.reject(e), done()) });
      worker.postMessage({ id, rows, dimensions, options });
    });
  }

  /** Stops the worker; pending requests are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the node is stopping'));
    if (worker !== undefined) await worker.terminate();
  }
}
