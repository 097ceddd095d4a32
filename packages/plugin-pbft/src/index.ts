/**
 * `@hypermesh/plugin-pbft` — Byzantine-fault-tolerant consensus for HyperMesh: the PBFT protocol of
 * Castro and Liskov behind the runtime's `consensus` contract, with checkpoints, view changes,
 * state transfer, a durable log, and a fault detector with reputation and isolation.
 *
 * @packageDocumentation
 */

export { createPbftPlugin, pbftPlugin, pbftPlugin as default, PLUGIN_VERSION, type PbftPluginOptions } from './plugin.js';
export { faultDetectorConfigSchema, pbftConfigSchema, type PbftConfig, type PbftConfigInput } from './config.js';
export { PbftError, PbftErrorCode, PLUGIN_NAME } from './errors.js';
export {
  createKeyValuePlugin,
  createKeyValueStateMachine,
  KV_NAMESPACE,
  type KeyValueStateMachine,
  type KvOperation,
  type KvResult,
} from './state-machines/key-value.js';
export type { ReplicaObserver } from './replica/replica.js';
export { FileStorage, type FileStorageOptions } from './storage/file-storage.js';
export {
  MemoryStorage,
  type CheckpointCarry,
  type LogRecord,
  type RecoveredState,
  type ReplicaStorage,
  type StoredCheckpoint,
  type StoredCommitted,
  type StoredPrepared,
} from './storage/storage.js';
export type { Digest, RequestEntry } from './messages/types.js';
export { SignatureCache } from './messages/envelope.js';
