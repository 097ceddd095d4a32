import { HypermeshError, type HypermeshErrorOptions } from '@hypermesh/runtime';

/** The plugin's npm name, as errors and logs quote it. */
export const STOQ_PLUGIN_NAME = '@hypermesh/plugin-stoq';

/** Every error code `@hypermesh/plugin-stoq` throws (one registry). */
export const StoqErrorCode = {
  /** A string given to `classifyName` (or a model's training data) is not a DNS name. */
  InvalidName: 'E_STOQ_NAME',
  /** A name model could not be loaded (wrong format, or trained for other features). */
  ModelInvalid: 'E_STOQ_MODEL',
  /** An argument of a public API was out of its domain (a negative size, a probability above 1). */
  InvalidArgument: 'E_STOQ_ARGUMENT',
  /** The isolation-forest training worker failed; the previous model stays in use. */
  TrainingFailed: 'E_STOQ_TRAINING',
} as const;

/** One of the stable error codes of this package. */
export type StoqErrorCode = (typeof StoqErrorCode)[keyof typeof StoqErrorCode];

/** An error of `@hypermesh/plugin-stoq`: a stable code, the plugin name and a sentence saying what to do. */
export class StoqError extends HypermeshError<StoqErrorCode> {
  constructor(code: StoqErrorCode, message: string, options: Omit<HypermeshErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin: STOQ_PLUGIN_NAME });
    this.name = 'StoqError';
  }
}

/** Throws `E_STOQ_ARGUMENT` unless `ok`. */
export function requireArgument(ok: boolean, message: string): asserts ok {
  if (!ok) throw new StoqError(StoqErrorCode.InvalidArgument, message);
}
