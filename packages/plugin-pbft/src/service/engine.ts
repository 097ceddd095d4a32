/**
 * The consensus engine of one node: the transport edge (size limit, isolation, signature,
 * relaying rules — every refusal counted and logged once per sender and reason), this node's
 * replica when it is one, its client, and the `consensus` service built on them.
 */
import type {
  ClockService,
  CommittedOperation,
  ConsensusService,
  ConsensusStatus,
  JsonValue,
  KeysService,
  NodeSuspicion,
  ReplicatedStateMachine,
  TransportService,
} from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { ConsensusClient } from '../client/client.js';
import type { PbftConfig } from '../config.js';
import { Authenticator, type Refused, type SignatureCache } from '../messages/envelope.js';
import { RELAYABLE_TYPES, type PbftMessage } from '../messages/types.js';
import type { DropReason, PbftMetrics } from '../metrics.js';
import { Executor } from '../replica/executor.js';
import { CHANNEL, Replica, type ReplicaObserver } from '../replica/replica.js';
import type { ReplicaStorage } from '../storage/storage.js';
import { resolveMembership } from './membership.js';

/** What the engine needs from the node. */
export interface EngineOptions {
  readonly nodeId: string;
  readonly config: PbftConfig;
  readonly transport: TransportService;
  readonly keys: KeysService;
  readonly clock: ClockService;
  readonly storage: ReplicaStorage;
  readonly logger: Logger;
  readonly metrics: PbftMetrics;
  readonly observer?: ReplicaObserver;
  /** A verification cache shared with other nodes of this process (simulations). */
  readonly signatureCache?: SignatureCache;
  /** Called for every fault-detector action (the plugin calls the `node.suspected` hook). */
  readonly suspected: (suspicion: NodeSuspicion) => void;
  /** Analytics' anomaly score of a node, when that service is present. */
  readonly analyticsScore?: (nodeId: string) => number | undefined;
}

/** A running consensus engine. */
export interface ConsensusEngine {
  /** The `consensus` service. */
  readonly service: ConsensusService;
  /** This node's replica, when it is one. */
  readonly replica: Replica | undefined;
  start(): void;
  stop(): void;
}

/** Builds the engine (nothing runs until `start`). */
export function createConsensusEngine(o: EngineOptions): ConsensusEngine {
  const group = resolveMembership(o.config, o.keys, o.transport, o.nodeId);
  const maxMessageBytes = Math.min(o.config.max_message_bytes, o.transport.maxMessageBytes);
  const auth = new Authenticator(o.keys, { n: group.n, window: o.config.watermark_window, maxEntries: Math.max(o.config.batch_size, 1) * 4 + 64 }, o.signatureCache);
  const executor = new Executor();
  const listeners = new Set<(operation: CommittedOperation) => void>();
  const loggedDrops = new Set<string>();
  let unsubscribe: (() => void) | undefined;
  let running = false;

  const drop = (sender: string, reason: DropReason, detail: string) => {
    o.metrics.dropped.inc({ reason, sender: sender.slice(0, 64) });
    const key = `${sender}\0${reason}`;
    if (loggedDrops.has(key)) {
      o.logger.debug({ sender, reason, detail }, 'message dropped');
    } else {
      if (loggedDrops.size < 10_000) loggedDrops.add(key);
      o.logger.warn({ sender, reason, detail }, `dropped a message from '${sender}' (${reason}): ${detail}; further drops for this reason are logged at debug`);
    }
  };

  const committed = (operation: CommittedOperation) => {
    for (const listener of listeners) {
      try {
        listener(operation);
      } catch (err) {
        o.logger.error({ err, namespace: operation.namespace }, 'an onCommit listener threw; the operation stays committed');
      }
    }
  };

  const deliverLocal = (frame: Uint8Array) => queueMicrotask(() => receive(o.nodeId, frame));

  const replica = group.has(o.nodeId)
    ? new Replica({
        id: o.nodeId,
        group,
        config: o.config,
        clock: o.clock,
        transport: o.transport,
        auth,
        storage: o.storage,
        executor,
        metrics: o.metrics,
        logger: o.logger,
        observer: o.observer,
        maxMessageBytes,
        deliverLocal,
        drop,
        committed,
        suspected: o.suspected,
        analyticsScore: o.analyticsScore ?? (() => undefined),
      })
    : undefined;

  const client = new ConsensusClient({
    nodeId: o.nodeId,
    replicas: group.ids,
    f: group.f,
    clock: o.clock,
    auth,
    logger: o.logger,
    metrics: o.metrics,
    maxOutstanding: o.config.max_outstanding,
    bundleSize: o.config.batch_size,
    retransmitMs: o.config.client_retransmit,
    submitTimeoutMs: o.config.submit_timeout,
    maxMessageBytes,
    send: (to, frame) => {
      if (to === o.nodeId) deliverLocal(frame);
      else if (running) {
        try {
          o.transport.send(to, CHANNEL, frame);
        } catch (err) {
          o.metrics.sendFailures.inc({ type: 'request' });
          o.logger.debug({ err, to }, 'transport refused a request');
        }
      }
    },
  });

  const refused = (from: string, refusal: Refused) => {
    drop(from, refusal.reason, refusal.detail);
    if (refusal.reason === 'bad-signature') replica?.faults.report(from, 'invalid-signature', refusal.detail);
    else if (refusal.reason === 'malformed') replica?.faults.report(from, 'malformed', refusal.detail);
  };

  const needed = (m: PbftMessage): boolean => {
    if (m.type === 'reply') return client.wants(m);
    if (m.type === 'prepare' || m.type === 'commit') return replica === undefined || replica.agreement.wants(m);
    return true;
  };

  /** The edge: everything from the network passes here first. */
  function receive(from: string, bytes: Uint8Array): void {
    if (!running) return;
    if (bytes.byteLength > maxMessageBytes) {
      drop(from, 'oversized', `${bytes.byteLength}-byte message exceeds the ${maxMessageBytes}-byte limit`);
      return;
    }
    if (replica?.faults.isIsolated(from)) {
      o.metrics.dropped.inc({ reason: 'isolated', sender: from.slice(0, 64) });
      return;
    }
    const opened = auth.decode(bytes);
    if (!opened.ok) {
      refused(from, opened);
      return;
    }
    const m = opened.message;
    if (m.from !== from && !RELAYABLE_TYPES.has(m.type)) {
      drop(from, 'relayed', `a ${m.type} signed by '${m.from}' arrived from '${from}'; only requests, VIEW-CHANGEs and NEW-VIEWs may be relayed`);
      replica?.faults.report(from, 'replay', `sent a ${m.type} signed by '${m.from}'`);
      return;
    }
    if (m.type !== 'request' && !group.has(m.from)) {
      drop(from, 'not-a-replica', `a ${m.type} from '${m.from}', which is not a replica`);
      return;
    }
    if (replica?.faults.isIsolated(m.from)) {
      o.metrics.dropped.inc({ reason: 'isolated', sender: m.from.slice(0, 64) });
      return;
    }
    // A vote or reply that can no longer change anything is not worth a signature check.
    if (!opened.verified && !needed(m)) {
      o.metrics.skipped.inc({ type: m.type });
      return;
    }
    const failure = auth.verify(opened);
    if (failure !== undefined) {
      refused(from, failure);
      return;
    }
    o.metrics.received.inc({ type: m.type });
    if (m.type === 'reply') client.onReply(m.from, m);
    else replica?.receive(from, opened);
  }

  const service = {
    submit: <Result extends JsonValue = JsonValue>(namespace: string, operation: JsonValue, options?: Parameters<ConsensusService['submit']>[2]) =>
      client.submit(namespace, operation, options) as Promise<Result>,
    registerStateMachine: <Op extends JsonValue, Result extends JsonValue>(namespace: string, machine: ReplicatedStateMachine<Op, Result>) =>
      executor.register(namespace, machine as unknown as ReplicatedStateMachine),
    status: (): ConsensusStatus =>
      replica?.describe() ?? {
        nodeId: o.nodeId,
        n: group.n,
        f: group.f,
        view: 0,
        primary: group.primary(0),
        viewChangeInProgress: false,
        lastExecuted: 0,
        stableCheckpoint: 0,
        replicas: group.ids.map((id) => ({ id, reputation: 1, state: 'active' as const })),
      },
    onCommit: (listener: (operation: CommittedOperation) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  } satisfies ConsensusService;

  return {
    service,
    replica,
    start() {
      if (running) return;
      replica?.start();
      const prefix = `${o.nodeId}/`;
      for (const ts of executor.clientTimestamps(prefix)) client.advanceTimestamp(ts);
      running = true;
      unsubscribe = o.transport.subscribe(CHANNEL, receive);
      o.metrics.bind({
        view: () => replica?.view ?? 0,
        lastExecuted: () => replica?.lastExecuted ?? 0,
        stableCheckpoint: () => replica?.low ?? 0,
        pendingRequests: () => replica?.requests.size ?? 0,
        isolatedNodes: () => replica?.faults.isolated().length ?? 0,
        reputations: () => group.ids.map((id) => ({ replica: id, reputation: replica?.faults.reputation(id) ?? 1 })),
      });
    },
    stop() {
      if (!running) return;
      running = false;
      unsubscribe?.();
      client.stop();
      replica?.stop();
    },
  };
}
