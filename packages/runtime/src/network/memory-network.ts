import type { ClockService } from '../contracts/clock.js';
import type { PeerStatus, TransportMessageHandler, TransportService } from '../contracts/transport.js';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import { createRandom, type Random } from './random.js';
import { createSimulatedClock, type SimulatedClock } from './simulated-clock.js';

/** How long a message takes to cross a link. A number means a fixed delay in ms. */
export type LatencyModel =
  | number
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stddevMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number };

/** Faults injected on a link (or on every link). Probabilities are in [0, 1]. */
export interface LinkFaults {
  /** Delay model; default 1 ms fixed. */
  readonly latency?: LatencyModel;
  /** Probability that a message is lost. */
  readonly drop?: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  readonly duplicate?: number;
  /** Probability that a message is held back by up to `reorderDelayMs` extra, overtaking others. */
  readonly reorder?: number;
  /** The most a reordered message is held back, in ms. Default 10. */
  readonly reorderDelayMs?: number;
}

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Seed of every random choice the network makes (delays, drops, duplicates). */
  readonly seed: number | string;
  /**
   * The clock deliveries are scheduled on. Default: a new simulated clock (nothing moves until
   * `runFor`). Pass `systemClock` for an embedded cluster that runs in real time.
   */
  readonly clock?: ClockService;
  /** Faults on every link unless a link has its own. */
  readonly faults?: LinkFaults;
  /** Largest payload accepted by `send`. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Messages in flight towards one node before `send` reports back-pressure. Default 100 000. */
  readonly queueLimit?: number;
  /** Called when a subscriber throws; the network keeps delivering. Default: ignore. */
  readonly onHandlerError?: (error: unknown, delivery: { from: string; to: string; channel: string }) => void;
}

/** Network counters. */
export interface NetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly duplicated: number;
  readonly dropped: { readonly fault: number; readonly partition: number; readonly closed: number; readonly backPressure: number };
  readonly handlerErrors: number;
}

/** An in-memory network connecting transports, with seeded fault injection. */
export interface MemoryNetwork {
  /** The clock deliveries run on. */
  readonly clock: ClockService;
  /** The network's seeded random generator (forks of it are handy for tests). */
  readonly random: Random;
  /** The transport of `nodeId`, created on first call; every other node is its peer. */
  transport(nodeId: string): TransportService;
  /** Sets faults for every link, or for one direction of one link (`from` → `to`). */
  setFaults(faults: LinkFaults, link?: { readonly from: string; readonly to: string }): void;
  /** Cuts every link between `groupA` and `groupB` (default: every other node), both ways. */
  partition(groupA: readonly string[], groupB?: readonly string[]): void;
  /** Removes every partition. */
  heal(): void;
  /** Takes a node off the network (a crash): nothing reaches it or leaves it until `reconnect`. */
  disconnect(nodeId: string): void;
  /** Puts a disconnected node back. */
  reconnect(nodeId: string): void;
  /**
   * Advances the simulated clock by `ms`, delivering messages and firing timers on the way.
   * Only for networks on a simulated clock.
   */
  runFor(ms: number): Promise<void>;
  /** Counters since creation. */
  stats(): NetworkStats;
}

interface Endpoint {
  readonly id: string;
  readonly handlers: Map<string, Set<TransportMessageHandler>>;
  readonly statusListeners: Set<(peer: string, status: PeerStatus) => void>;
  inFlight: number;
  connected: boolean;
}

const DEFAULT_FAULTS: LinkFaults = { latency: { kind: 'fixed', ms: 1 } };

function sampleLatency(model: LatencyModel | undefined, random: Random): number {
  if (model === undefined) return 1;
  if (typeof model === 'number') return model;
  switch (model.kind) {
    case 'fixed':
      return model.ms;
    case 'uniform':
      return random.uniform(model.minMs, model.maxMs);
    case 'normal':
      return Math.max(0, random.normal(model.meanMs, model.stddevMs));
    case 'exponential':
      return random.exponential(model.meanMs);
  }
}

function checkProbability(name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new HypermeshError(RuntimeErrorCode.InvalidArgument, `memory network: faults.${name} must be a probability in [0, 1], got ${p}`);
  }
}

/**
 * Creates an in-memory network: transports for an embedded cluster and for deterministic
 * simulation. Every random choice comes from the seed, and deliveries are timers on the network's
 * clock, so with a simulated clock a run is reproducible from its seed.
 *
 * ```ts
 * const net = createMemoryNetwork({ seed: 42, faults: { latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, drop: 0.01 } });
 * const a = net.transport('a'), b = net.transport('b');
 * b.subscribe('ping', (from, bytes) => …);
 * a.send('b', 'ping', new Uint8Array([1]));
 * await net.runFor(10);
 * ```
 */
export function createMemoryNetwork(options: MemoryNetworkOptions): MemoryNetwork {
  const random = createRandom(options.seed);
  const clock: ClockService = options.clock ?? createSimulatedClock();
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const queueLimit = options.queueLimit ?? 100_000;
  const endpoints = new Map<string, Endpoint>();
  const linkFaults = new Map<string, LinkFaults>();
  let defaultFaults: LinkFaults = options.faults ?? DEFAULT_FAULTS;
  /** Directed links cut by partitions, as `from\0to`. */
  const cut = new Set<string>();
  const stats = { sent: 0, delivered: 0, duplicated: 0, handlerErrors: 0, dropped: { fault: 0, partition: 0, closed: 0, backPressure: 0 } };
  const validateFaults = (f: LinkFaults) => {
    checkProbability('drop', f.drop);
    checkProbability('duplicate', f.duplicate);
    checkProbability('reorder', f.reorder);
  };
  validateFaults(defaultFaults);

  const notify = (endpoint: Endpoint, peer: string, status: PeerStatus) => {
    for (const listener of endpoint.statusListeners) listener(peer, status);
  };
  const reachable = (from: string, to: string) => {
    const a = endpoints.get(from);
    const b = endpoints.get(to);
    return a !== undefined && b !== undefined && a.connected && b.connected && !cut.has(`${from}\0${to}`);
  };
  const announceReachability = (before: Map<string, boolean>) => {
    for (const a of endpoints.values()) {
      for (const b of endpoints.values()) {
        if (a === b) continue;
        const key = `${a.id}\0${b.id}`;
        const now = reachable(a.id, b.id);
        if (before.get(key) !== now) notify(a, b.id, now ? 'up' : 'down');
      }
    }
  };
  const snapshotReachability = () => {
    const map = new Map<string, boolean>();
    for (const a of endpoints.values()) for (const b of endpoints.values()) if (a !== b) map.set(`${a.id}\0${b.id}`, reachable(a.id, b.id));
    return map;
  };

  const deliver = (from: string, to: Endpoint, channel: string, payload: Uint8Array) => {
    to.inFlight--;
    if (!to.connected || !(endpoints.get(from)?.connected ?? false)) {
      stats.dropped.closed++;
      return;
    }
    const handlers = to.handlers.get(channel);
    if (handlers === undefined || handlers.size === 0) return;
    stats.delivered++;
    for (const handler of handlers) {
      try {
        handler(from, payload);
      } catch (err) {
        stats.handlerErrors++;
        options.onHandlerError?.(err, { from, to: to.id, channel });
      }
    }
  };

  const send = (self: Endpoint, to: string, channel: string, payload: Uint8Array): boolean => {
    const target = endpoints.get(to);
    if (target === undefined || to === self.id) {
      throw new HypermeshError(
        RuntimeErrorCode.TransportRefused,
        `transport of '${self.id}': cannot send to '${to}', which is not a peer (peers: ${[...endpoints.keys()].filter((k) => k !== self.id).join(', ') || 'none'})`,
      );
    }
    if (!(payload instanceof Uint8Array)) {
      throw new HypermeshError(RuntimeErrorCode.TransportRefused, `transport of '${self.id}': payload on channel '${channel}' must be a Uint8Array`);
    }
    if (payload.byteLength > maxMessageBytes) {
      throw new HypermeshError(
        RuntimeErrorCode.TransportRefused,
        `transport of '${self.id}': a ${payload.byteLength}-byte message on channel '${channel}' exceeds the ${maxMessageBytes}-byte limit`,
      );
    }
    stats.sent++;
    if (!reachable(self.id, to)) {
      if (self.connected && target.connected) stats.dropped.partition++;
      else stats.dropped.closed++;
      return true;
    }
    if (target.inFlight >= queueLimit) {
      stats.dropped.backPressure++;
      return false;
    }
    const faults = linkFaults.get(`${self.id}\0${to}`) ?? defaultFaults;
    if (random.chance(faults.drop ?? 0)) {
      stats.dropped.fault++;
      return true;
    }
    const copies = random.chance(faults.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = sampleLatency(faults.latency, random);
      if (random.chance(faults.reorder ?? 0)) delay += random.uniform(0, faults.reorderDelayMs ?? 10);
      const copy = payload.slice();
      target.inFlight++;
      clock.setTimeout(() => deliver(self.id, target, channel, copy), delay);
    }
    return true;
  };

  const network: MemoryNetwork = {
    clock,
    random,
    transport(nodeId) {
      let endpoint = endpoints.get(nodeId);
      if (endpoint === undefined) {
        const before = snapshotReachability();
        endpoint = { id: nodeId, handlers: new Map(), statusListeners: new Set(), inFlight: 0, connected: true };
        endpoints.set(nodeId, endpoint);
        announceReachability(before);
      }
      const self = endpoint;
      return {
        nodeId,
        maxMessageBytes,
        peers: () => [...endpoints.keys()].filter((id) => id !== nodeId),
        send: (to, channel, payload) => send(self, to, channel, payload),
        broadcast: (channel, payload) => {
          for (const id of endpoints.keys()) if (id !== nodeId) send(self, id, channel, payload);
        },
        subscribe: (channel, handler) => {
          let set = self.handlers.get(channel);
          if (set === undefined) self.handlers.set(channel, (set = new Set()));
          set.add(handler);
          return () => set.delete(handler);
        },
        onPeerStatus: (listener) => {
          self.statusListeners.add(listener);
          return () => self.statusListeners.delete(listener);
        },
      };
    },
    setFaults(faults, link) {
      validateFaults(faults);
      if (link === undefined) defaultFaults = faults;
      else linkFaults.set(`${link.from}\0${link.to}`, faults);
    },
    partition(groupA, groupB) {
      const before = snapshotReachability();
      const a = new Set(groupA);
      const b = groupB === undefined ? [...endpoints.keys()].filter((id) => !a.has(id)) : groupB;
      for (const x of a) {
        for (const y of b) {
          if (x === y) continue;
          cut.add(`${x}\0${y}`);
          cut.add(`${y}\0${x}`);
        }
      }
      announceReachability(before);
    },
    heal() {
      const before = snapshotReachability();
      cut.clear();
      announceReachability(before);
    },
    disconnect(nodeId) {
      const endpoint = endpoints.get(nodeId);
      if (endpoint === undefined) return;
      const before = snapshotReachability();
      endpoint.connected = false;
      announceReachability(before);
    },
    reconnect(nodeId) {
      const endpoint = endpoints.get(nodeId);
      if (endpoint === undefined) return;
      const before = snapshotReachability();
      endpoint.connected = true;
      announceReachability(before);
    },
    async runFor(ms) {
      const simulated = clock as Partial<SimulatedClock>;
      if (typeof simulated.advance !== 'function') {
        throw new HypermeshError(
          RuntimeErrorCode.InvalidArgument,
          'memory network: runFor needs a simulated clock; this network runs on a real clock, where time passes by itself',
        );
      }
      await simulated.advance(ms);
    },
    stats: () => ({ ...stats, dropped: { ...stats.dropped } }),
  };
  return network;
}
