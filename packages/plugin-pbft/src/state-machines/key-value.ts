/**
 * A replicated key-value store: the state machine the test kit, the benchmark and the docs use.
 * Keys are strings, values any JSON. Every operation answers `{ value }`: `get` the stored value
 * (or `null`), `set` the value now stored, `delete` the value removed (or `null`).
 */
import { canonicalJsonBytes, definePlugin, consensusRef, type JsonValue, type ReplicatedStateMachine } from '@hypermesh/runtime';

/** The namespace the key-value machine is registered under by default. */
export const KV_NAMESPACE = 'kv';

/** Longest key accepted. */
const MAX_KEY = 1024;

/** An operation of the key-value state machine. */
export type KvOperation =
  | { readonly op: 'set'; readonly key: string; readonly value: JsonValue }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'delete'; readonly key: string };

/** The result of every key-value operation. */
export interface KvResult {
  readonly value: JsonValue;
  readonly [extra: string]: JsonValue;
}

/** The key-value state machine, with read access for the node that runs it. */
export interface KeyValueStateMachine extends ReplicatedStateMachine<KvOperation, KvResult> {
  /** The locally applied value of a key (no consensus: use `submit({ op: 'get' })` for an agreed read). */
  read(key: string): JsonValue | undefined;
  /** Number of keys. */
  readonly size: number;
}

function problem(operation: unknown): string | undefined {
  if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) return 'an operation must be an object such as { op: "set", key, value }';
  const o = operation as Record<string, unknown>;
  if (o.op !== 'set' && o.op !== 'get' && o.op !== 'delete') return `op must be 'set', 'get' or 'delete', got ${JSON.stringify(o.op)}`;
  if (typeof o.key !== 'string' || o.key.length === 0 || o.key.length > MAX_KEY) return `key must be a non-empty string of at most ${MAX_KEY} characters`;
  if (o.op === 'set' && o.value === undefined) return "a 'set' needs a value";
  return undefined;
}

/** Creates an empty key-value state machine. */
export function createKeyValueStateMachine(): KeyValueStateMachine {
  const entries = new Map<string, JsonValue>();
  return {
    validate(operation) {
      const p = problem(operation);
      return p === undefined ? { valid: true } : { valid: false, reason: p };
    },
    apply(operation) {
      const p = problem(operation);
      if (p !== undefined) throw new Error(p);
      switch (operation.op) {
        case 'get':
          return { value: entries.get(operation.key) ?? null };
        case 'set':
          entries.set(operation.key, operation.value);
          return { value: operation.value };
        case 'delete': {
          const old = entries.get(operation.key) ?? null;
          entries.delete(operation.key);
          return { value: old };
        }
      }
    },
    snapshot() {
      return canonicalJsonBytes([...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
    restore(snapshot) {
      entries.clear();
      if (snapshot.byteLength === 0) return;
      const parsed = JSON.parse(Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength).toString('utf8')) as [string, JsonValue][];
      for (const [key, value] of parsed) entries.set(key, value);
    },
    read: (key) => entries.get(key),
    get size() {
      return entries.size;
    },
  };
}

/**
 * A plugin that registers a key-value state machine on the node's consensus service, under
 * `namespace` (default `kv`). Load it on every replica.
 */
export function createKeyValuePlugin(options: { namespace?: string } = {}) {
  const namespace = options.namespace ?? KV_NAMESPACE;
  return definePlugin({
    name: '@hypermesh/plugin-pbft-kv',
    version: '0.1.0',
    description: `Registers the key-value state machine under '${namespace}'`,
    requires: { runtime: '^0.1.0', services: [consensusRef] },
    setup(ctx) {
      ctx.use(consensusRef).registerStateMachine(namespace, createKeyValueStateMachine());
    },
  });
}
