/**
 * Every error `@hypermesh/plugin-pbft` throws, one registry: a stable `code`, the plugin name, and a
 * sentence that says what happened and what to do.
 */
import { HypermeshError } from '@hypermesh/runtime';

/** The plugin's npm name, as every error and log record quotes it. */
export const PLUGIN_NAME = '@hypermesh/plugin-pbft';

/** The stable codes of errors raised by the PBFT plugin. */
export const PbftErrorCode = {
  /** `submit` got no f+1 matching replies within its timeout (contract code). */
  Timeout: 'E_CONSENSUS_TIMEOUT',
  /** The primary's validation refused the operation; the refusal itself was agreed (contract code). */
  Invalid: 'E_CONSENSUS_INVALID',
  /** No state machine is registered for the operation's namespace (contract code). */
  Namespace: 'E_CONSENSUS_NAMESPACE',
  /** The state machine's `apply` threw on every replica; the message carries the replicas' reason. */
  ApplyFailed: 'E_PBFT_APPLY_FAILED',
  /** `submit` was aborted through its `signal` (the operation may still commit). */
  Aborted: 'E_PBFT_ABORTED',
  /** The replica set is inconsistent: unknown ids, missing keys, `nodes` disagreeing with the list. */
  Membership: 'E_PBFT_MEMBERSHIP',
  /** The data directory could not be read or written, or holds records this version cannot read. */
  Storage: 'E_PBFT_STORAGE',
  /** A state machine is already registered under this namespace. */
  DuplicateNamespace: 'E_PBFT_DUPLICATE_NAMESPACE',
  /** The service was used before start or after stop. */
  Stopped: 'E_PBFT_STOPPED',
  /** An operation or its encoded request exceeds the message size limit. */
  TooLarge: 'E_PBFT_TOO_LARGE',
} as const;

/** One of the PBFT plugin's stable error codes. */
export type PbftErrorCode = (typeof PbftErrorCode)[keyof typeof PbftErrorCode];

/** An error raised by the PBFT plugin. */
export class PbftError extends HypermeshError<PbftErrorCode> {
  constructor(code: PbftErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, { ...options, plugin: PLUGIN_NAME });
    this.name = 'PbftError';
  }
}
