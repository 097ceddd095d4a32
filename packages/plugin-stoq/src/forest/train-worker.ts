/**
 * Worker-thread entry: trains an isolation forest off the event loop and sends back the compiled
 * arrays (transferred, not copied). One request at a time; the parent decides when to retrain.
 */
import { parentPort } from 'node:worker_threads';
import { trainIsolationForest, type IsolationForestOptions } from './isolation-forest.js';

/** A training request: rows flattened row-major. */
export interface TrainRequest {
  readonly id: number;
  readonly rows: Float64Array;
  readonly dimensions: number;
  readonly options: IsolationForestOptions;
}

function unflatten(rows: Float64Array, dimensions: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + dimensions <= rows.length; i += dimensions) out.push(Array.from(rows.subarray(i, i + dimensions)));
  return out;
}

parentPort?.on('message', (request: TrainRequest) => {
  try {
    const started = performance.now();
    const forest = trainIsolationForest(unflatten(request.rows, request.dimensions), request.options);
    const transfer = [forest.roots, forest.feature, forest.split, forest.left, forest.right, forest.pathLength].map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage({ id: request.id, forest, ms: performance.now() - started }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
