import type { StoqConfig } from '../config.js';
import type { ForestTrainer } from '../forest/forest-trainer.js';
import { FlatForest } from '../forest/isolation-forest.js';

/**
 * One isolation forest over feature vectors of one kind of subject (clients or domains): a
 * sliding window of recent vectors for training (a ring), and the compiled forest in use. Training
 * runs in the worker; the forest in use is swapped in one assignment when a new one arrives, so
 * scoring never sees a half-built model.
 */
export class AnomalyModel {
  private readonly rows: Float64Array;
  private head = 0;
  private filled = 0;
  private forest: FlatForest | undefined;
  private rounds = 0;
  private training = false;
  /** When the model in use was trained (clock ms), and how long training took. */
  trainedAt: number | undefined;
  trainingMs = 0;
  trainedWhere: 'worker' | 'inline' | undefined;

  constructor(
    readonly name: 'clients' | 'domains',
    readonly dimensions: number,
    private readonly config: StoqConfig['forest'],
    /** Isolation score from which a subject counts as anomalous. */
    readonly threshold: number,
  ) {
    this.rows = new Float64Array(config.window_rows * dimensions);
  }

  /** Adds a vector to the training window (overwriting the oldest). Non-finite vectors are skipped. */
  sample(vector: Float64Array): void {
    for (let i = 0; i < this.dimensions; i++) if (!Number.isFinite(vector[i]!)) return;
    this.rows.set(vector.subarray(0, this.dimensions), this.head * this.dimensions);
    this.head = (this.head + 1) % this.config.window_rows;
    this.filled = Math.min(this.filled + 1, this.config.window_rows);
  }

  /** How far past the threshold an isolation score is (1 = at it), as detectors report ratios. */
  ratio(score: number): number {
    return score <= 0.5 ? 0 : (score - 0.5) / (this.threshold - 0.5);
  }

  /** The anomaly score in (0, 1) of a vector, or 0 without a model. */
  score(vector: Float64Array): number {
    return this.forest === undefined ? 0 : this.forest.score(vector);
  }

  /** True once a model is in use. */
  ready(): boolean {
    return this.forest !== undefined;
  }

  /** Vectors in the training window. */
  samples(): number {
    return this.filled;
  }

  /** Retrains in the worker when enough vectors are in the window; resolves when done (or skipped). */
  async retrain(trainer: ForestTrainer, seed: string, now: () => number): Promise<'trained' | 'skipped'> {
    if (this.training || this.filled < this.config.min_rows) return 'skipped';
    this.training = true;
    try {
      const snapshot = this.rows.slice(0, this.filled * this.dimensions);
      const result = await trainer.train(snapshot, this.dimensions, {
        trees: this.config.trees,
        sampleSize: this.config.sample_size,
        seed: `${seed}/${this.name}/${this.rounds++}`,
      });
      this.forest = new FlatForest(result.forest);
      this.trainedAt = now();
      this.trainingMs = result.ms;
      this.trainedWhere = result.where;
      return 'trained';
    } finally {
      this.training = false;
    }
  }
}
