/**
 * A deterministic simulated PBFT cluster: n real runtime nodes (createNode + the PBFT plugin +
 * the key-value state machine), wired through the runtime's seeded in-memory network on a
 * simulated clock, with Ed25519 keys derived from the seed. Faulty replicas run the same plugin
 * behind a Byzantine transport. Everything that happens follows from the seed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  clockRef,
  consensusRef,
  createKeyring,
  createMemoryNetwork,
  createSimulatedClock,
  generateNodeKeys,
  keysRef,
  transportRef,
  type ConsensusStatus,
  type HypermeshNode,
  type KeysService,
  type JsonValue,
  type LinkFaults,
  type MemoryNetwork,
  type SimulatedClock,
  createNode,
} from '@hypermesh/runtime';
import { pino, type Logger } from 'pino';
import type { PbftConfigInput } from '../config.js';
import { PLUGIN_NAME } from '../errors.js';
import { createPbftPlugin } from '../plugin.js';
import { createKeyValuePlugin, KV_NAMESPACE, type KvOperation, type KvResult } from '../state-machines/key-value.js';
import { SignatureCache } from '../messages/envelope.js';
import { FileStorage } from '../storage/file-storage.js';
import { MemoryStorage, type ReplicaStorage } from '../storage/storage.js';
import { byzantineTransport, type ByzantineBehaviour } from './byzantine.js';
import { InvariantTracker, InvariantViolation, type SubmissionRecord } from './invariants.js';

/** Options of {@link createSimulatedCluster}. */
export interface SimulatedClusterOptions {
  /** Number of replicas (n = 3f+1 tolerates f). */
  readonly n: number;
  /** Seed of every random choice: keys, network faults, Byzantine behaviour, client choice. */
  readonly seed: number | string;
  /** Byzantine behaviour per replica index. */
  readonly faults?: Readonly<Record<number, ByzantineBehaviour>>;
  /** Network faults on every link. Default: latency uniform in [1, 5] ms, no loss. */
  readonly network?: LinkFaults;
  /** PBFT config for every replica (snake_case, as in `spec.consensus`). */
  readonly config?: PbftConfigInput;
  /** Keep each replica's log in files under this directory instead of in memory. */
  readonly dataDir?: string;
  /** A logger for the nodes. Default: silent. */
  readonly logger?: Logger;
  /** Seed of the replicas' Ed25519 keys (default: one fixed seed, so keyrings are built once per size). */
  readonly keySeed?: string;
}

/** Options of {@link SimulatedCluster.submit}. */
export interface ClusterSubmitOptions {
  /** The replica whose node submits (default: a correct, running one chosen by the seed). */
  readonly via?: number;
  /** The client's timeout (simulated ms). */
  readonly timeoutMs?: number;
}

/** A running simulated cluster. */
export interface SimulatedCluster {
  /** Number of replicas. */
  readonly n: number;
  /** Faults tolerated. */
  readonly f: number;
  /** The seed (print it to replay a run). */
  readonly seed: string;
  /** Node ids by replica index. */
  readonly ids: readonly string[];
  /** The in-memory network (stats, per-link faults). */
  readonly network: MemoryNetwork;
  /** The simulated clock. */
  readonly clock: SimulatedClock;
  /**
   * Submits a key-value operation through a replica's node; resolves with the result once the
   * client has f+1 matching replies. While nothing else moves the clock, awaiting it advances
   * simulated time by itself.
   */
  submit(operation: KvOperation, options?: ClusterSubmitOptions): Promise<KvResult>;
  /** Advances the simulated clock by `ms`, delivering messages and firing timers. */
  runFor(ms: number): Promise<void>;
  /** Advances until `predicate()` holds or `maxMs` passed; resolves with whether it held. */
  runUntil(predicate: () => boolean, maxMs: number): Promise<boolean>;
  /** Crashes replica `i`: its node stops, unsynced log records are lost, it leaves the network. */
  crash(i: number): Promise<void>;
  /** Restarts replica `i` from its log ("disk"). */
  restart(i: number): Promise<void>;
  /** Cuts every link between the replicas of `groupA` and those of `groupB` (default: all others). */
  partition(groupA: readonly number[], groupB?: readonly number[]): void;
  /** Removes every partition. */
  heal(): void;
  /** The operations replica `i` has committed, in order, as submitted. */
  committed(i: number): JsonValue[];
  /** Replica `i`'s protocol state (throws while it is crashed). */
  status(i: number): ConsensusStatus;
  /** Replica `i`'s runtime node, or `undefined` while it is crashed. */
  node(i: number): HypermeshNode | undefined;
  /** Throws {@link InvariantViolation} (with the seed) when agreement, validity or exactly-once — or, with `liveness`, an answer to every submission — fails. */
  assertInvariants(options?: { readonly liveness?: boolean }): void;
  /** Submissions so far and what became of them. */
  readonly submissions: readonly SubmissionRecord[];
  /** Protocol events so far, per replica index. */
  events(i: number): ReplicaEvents;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** What a replica did, counted by the cluster's observer (across restarts). */
export interface ReplicaEvents {
  /** Views installed (NEW-VIEW accepted or sent). */
  viewsInstalled: number;
  /** View changes this replica started: to which view, why, and when (simulated ms). */
  viewChanges: { readonly view: number; readonly reason: string; readonly at: number }[];
  /** Snapshots installed from peers. */
  stateTransfers: number;
  /** Checkpoints taken. */
  checkpoints: number;
  /** Batches executed (replays after restarts included). */
  batches: number;
}

const DRIVE_STEP_MS = 5;

/** Keyrings are stateless services: clusters of one size and key seed share them. */
const keyringCache = new Map<string, KeysService[]>();
function keyringsFor(ids: readonly string[], keySeed: string): KeysService[] {
  const cacheKey = `${keySeed}\0${ids.join('\0')}`;
  let keyrings = keyringCache.get(cacheKey);
  if (keyrings === undefined) {
    const keys = generateNodeKeys(ids, { seed: keySeed });
    const publicKeys = Object.fromEntries(ids.map((id) => [id, keys[id]!.publicKey]));
    keyrings = ids.map((id) => createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys }));
    keyringCache.set(cacheKey, keyrings);
  }
  return keyrings;
}

/** Builds and starts a simulated cluster. */
export async function createSimulatedCluster(options: SimulatedClusterOptions): Promise<SimulatedCluster> {
  const n = options.n;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`createSimulatedCluster: n must be a positive integer, got ${n}`);
  const seed = String(options.seed);
  const faults = options.faults ?? {};
  const f = Math.floor((n - 1) / 3);
  const ids = Array.from({ length: n }, (_, i) => `replica-${i}`);
  const clock = createSimulatedClock();
  const network = createMemoryNetwork({ seed, clock, faults: options.network ?? { latency: { kind: 'uniform', minMs: 1, maxMs: 5 } } });
  const random = network.random.fork('cluster');
  const keyrings = keyringsFor(ids, options.keySeed ?? 'hypermesh-simulation');
  const transports = ids.map((id) => network.transport(id));
  const logger = options.logger ?? pino({ level: 'silent' });
  const config = { ...options.config };
  const timeout = typeof config.timeout === 'number' ? config.timeout : 100;
  const faulty = (i: number) => faults[i] !== undefined;
  const tracker = new InvariantTracker(n, faulty);
  const storages: ReplicaStorage[] = ids.map((id) => {
    if (options.dataDir === undefined) return new MemoryStorage();
    mkdirSync(options.dataDir, { recursive: true });
    return new FileStorage(join(options.dataDir, id), { fsync: false });
  });
  const nodes: (HypermeshNode | undefined)[] = ids.map(() => undefined);
  const signatureCache = new SignatureCache(100_000);
  const events: ReplicaEvents[] = ids.map(() => ({ viewsInstalled: 0, viewChanges: [], stateTransfers: 0, checkpoints: 0, batches: 0 }));
  const pendingVia: Map<number, Set<SubmissionRecord>> = new Map(ids.map((_, i) => [i, new Set()]));

  async function boot(i: number): Promise<void> {
    const id = ids[i]!;
    const behaviour = faults[i];
    const transport =
      behaviour === undefined
        ? transports[i]!
        : byzantineTransport(transports[i]!, behaviour, {
            keys: keyrings[i]!,
            clock,
            random: random.fork(`byzantine-${i}`),
            replicas: ids,
            slowDelayMs: Math.round(timeout * 0.6),
            signatureCache,
          });
    const node = createNode({
      id,
      logger,
      plugins: [
        createPbftPlugin({
          storage: () => storages[i]!,
          signatureCache,
          observer: {
            executed: (e) => {
              events[i]!.batches++;
              tracker.executed(i, e.seq, e.digest, e.applied);
            },
            checkpoint: (e) => {
              events[i]!.checkpoints++;
              tracker.checkpoint(i, e.seq, e.digest);
            },
            stateTransferred: () => void events[i]!.stateTransfers++,
            viewInstalled: () => void events[i]!.viewsInstalled++,
            viewChangeStarted: (view, reason) => void events[i]!.viewChanges.push({ view, reason, at: clock.now() }),
          },
        }),
        createKeyValuePlugin(),
      ],
      config: { [PLUGIN_NAME]: config },
      overrides: [
        [transportRef, transport],
        [keysRef, keyrings[i]!],
        [clockRef, clock],
      ],
    });
    await node.start();
    nodes[i] = node;
  }

  for (let i = 0; i < n; i++) await boot(i);

  // Time moves by runFor, or — while submissions wait and nobody runs the clock — by the driver.
  const waiting = new Set<Promise<unknown>>();
  let clockUsers = 0;
  let driver: Promise<void> | undefined;
  let stopped = false;
  const drive = () => {
    if (driver !== undefined || stopped) return;
    driver = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (waiting.size > 0 && clockUsers === 0 && !stopped) await clock.advance(DRIVE_STEP_MS);
      driver = undefined;
    })();
  };
  const useClock = async <T>(work: () => Promise<T>): Promise<T> => {
    clockUsers++;
    try {
      if (driver !== undefined) await driver;
      return await work();
    } finally {
      clockUsers--;
      if (waiting.size > 0) drive();
    }
  };

  const running = () => ids.map((_, i) => i).filter((i) => nodes[i] !== undefined && !faulty(i));

  const cluster: SimulatedCluster = {
    n,
    f,
    seed,
    ids,
    network,
    clock,
    submissions: tracker.submissions,
    submit(operation, submitOptions = {}) {
      const candidates = running();
      const via = submitOptions.via ?? (candidates.length > 0 ? random.pick(candidates) : 0);
      const node = nodes[via];
      const record = tracker.submitted(operation as unknown as JsonValue);
      if (node === undefined) {
        record.state = 'lost';
        return Promise.reject(new Error(`replica ${via} is crashed; submit through a running replica`));
      }
      pendingVia.get(via)!.add(record);
      const promise = node
        .get(consensusRef)
        .submit<KvResult>(KV_NAMESPACE, operation as unknown as JsonValue, { timeoutMs: submitOptions.timeoutMs ?? 120_000 })
        .then(
          (result) => {
            if (record.state === 'pending') record.state = 'ok';
            return result;
          },
          (error: unknown) => {
            if (record.state === 'pending') {
              record.state = 'error';
              record.error = error instanceof Error ? error.message : String(error);
            }
            throw error;
          },
        )
        .finally(() => {
          pendingVia.get(via)!.delete(record);
          waiting.delete(promise);
        });
      waiting.add(promise);
      // An unobserved rejection must not crash the test process; callers still see it.
      promise.catch(() => undefined);
      drive();
      return promise;
    },
    runFor: (ms) => useClock(() => clock.advance(ms)),
    runUntil: (predicate, maxMs) => useClock(() => clock.runUntil(predicate, { maxMs, stepMs: DRIVE_STEP_MS })),
    crash: (i) =>
      useClock(async () => {
        const node = nodes[i];
        if (node === undefined) return;
        nodes[i] = undefined;
        for (const record of pendingVia.get(i)!) record.state = 'lost';
        const storage = storages[i]!;
        if (storage instanceof MemoryStorage || storage instanceof FileStorage) storage.crash();
        network.disconnect(ids[i]!);
        await node.stop();
      }),
    restart: (i) =>
      useClock(async () => {
        if (nodes[i] !== undefined) return;
        if (options.dataDir !== undefined) storages[i] = new FileStorage(join(options.dataDir, ids[i]!), { fsync: false });
        network.reconnect(ids[i]!);
        await boot(i);
      }),
    partition(groupA, groupB) {
      network.partition(
        groupA.map((i) => ids[i]!),
        groupB?.map((i) => ids[i]!),
      );
    },
    heal: () => network.heal(),
    committed(i) {
      const node = nodes[i];
      const last = node === undefined ? Infinity : node.get(consensusRef).status().lastExecuted;
      return tracker.committed(i, last);
    },
    status(i) {
      const node = nodes[i];
      if (node === undefined) throw new Error(`replica ${i} is crashed`);
      return node.get(consensusRef).status();
    },
    node: (i) => nodes[i],
    events: (i) => ({ ...events[i]!, viewChanges: [...events[i]!.viewChanges] }),
    assertInvariants(assertOptions = {}) {
      const violations = tracker.check(assertOptions.liveness ?? false);
      if (violations.length > 0) throw new InvariantViolation(seed, violations);
    },
    async stop() {
      stopped = true;
      await Promise.all(nodes.map((node) => node?.stop()));
    },
  };
  return cluster;
}
