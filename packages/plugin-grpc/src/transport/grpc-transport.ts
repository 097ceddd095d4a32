import { Metadata, Server, status as GrpcStatus, type ChannelOptions, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import {
  createDefaultLogger,
  systemClock,
  type ClockService,
  type PeerStatus,
  type PluginMetrics,
  type TransportMessageHandler,
  type TransportService,
} from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { grpcTransportConfigSchema, type GrpcTransportConfig, type GrpcTransportConfigInput } from '../config.js';
import { GrpcErrorCode, GrpcTransportError } from '../errors.js';
import { channelBytes, decodeFrame, encodeFrame, isBatch, MAX_FRAME_OVERHEAD, splitBatch } from '../frame/frame.js';

/** The largest batch of coalesced frames written as one gRPC message. */
const MAX_BATCH_BYTES = 128 * 1024;
import { Dialer } from '../link/dialer.js';
import type { LinkCounters } from '../link/link-stats.js';
import { PeerLink, type LinkOwner, type StreamRole } from '../link/peer-link.js';
import { registerTransportMetrics } from '../metrics.js';
import { clientCredentials, loadTlsMaterial, serverCredentials, type TlsMaterial } from '../tls/tls-material.js';
import { authenticate, refuse, type RefusalReason } from './authenticate.js';
import { DropLog } from './drop-log.js';
import { exchangeMethod, NODE_METADATA_KEY } from './exchange-method.js';
import { checkPeers, refused, refusedMessage } from './peers.js';

/** Options of {@link createGrpcTransport}. */
export interface GrpcTransportOptions {
  /** The transport's config, as for the plugin; `nodeId` is required here. */
  readonly config: GrpcTransportConfigInput & { readonly nodeId: string };
  /** Where the transport logs. Default: the runtime's default logger (JSON on stderr). */
  readonly logger?: Logger;
  /** Timers for backoff, timeouts and log rate limits. Default: the system clock. */
  readonly clock?: ClockService;
  /** Registers the transport's metrics there (a plugin passes `ctx.metrics`). Default: none. */
  readonly metrics?: PluginMetrics;
}

/** Counters and state of the link to one peer, as {@link GrpcTransportService.stats} reports them. */
export interface PeerStats extends LinkCounters {
  /** `up` while a stream to the peer is live. */
  readonly status: PeerStatus;
  /** Where the peer listens. */
  readonly address: string;
  /** Messages waiting in the send queue. */
  readonly queuedMessages: number;
  /** Bytes waiting in the send queue. */
  readonly queuedBytes: number;
}

/** What {@link GrpcTransportService.stats} returns. */
export interface GrpcTransportStats {
  /** Per peer. */
  readonly peers: Readonly<Record<string, PeerStats>>;
  /** Incoming streams refused after TLS, by reason. */
  readonly refusedStreams: Readonly<Record<RefusalReason, number>>;
}

/** The transport as other plugins see it through `grpcTransportRef`: the contract plus gRPC specifics. */
export interface GrpcTransportService extends TransportService {
  /** HOST:PORT the server listens on (the real port when `listen` used port 0). Throws before start. */
  address(): string;
  /**
   * Replaces the peer list (id → HOST:PORT): new peers are dialed, removed ones disconnected (their
   * queued messages dropped as `closed`), changed addresses used from the next connection attempt.
   */
  setPeers(peers: Readonly<Record<string, string>>): void;
  /** A snapshot of every peer's state and counters. */
  stats(): GrpcTransportStats;
}

/** A transport with its lifecycle, as {@link createGrpcTransport} returns it. */
export interface GrpcTransport extends GrpcTransportService {
  /** Listens, then dials the peers this node dials. Rejects with `E_GRPC_LISTEN` when it cannot listen. */
  start(): Promise<void>;
  /** Ends every stream, waits up to `stopGrace` for them to close, then closes the server and frees the port. Idempotent. */
  stop(): Promise<void>;
}

function parseConfig(input: GrpcTransportOptions['config']): GrpcTransportConfig & { nodeId: string } {
  const parsed = grpcTransportConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new GrpcTransportError(GrpcErrorCode.ConfigInvalid, `gRPC transport config is invalid: ${issues}`, { details: { issues: parsed.error.issues } });
  }
  if (parsed.data.nodeId === undefined) {
    throw new GrpcTransportError(GrpcErrorCode.ConfigInvalid, 'gRPC transport config is invalid: nodeId is required when the transport is created outside a node');
  }
  return parsed.data as GrpcTransportConfig & { nodeId: string };
}

/**
 * Creates a transport over gRPC with mutual TLS (the plugin uses this; use it directly to run a
 * transport outside a node). The TLS material is read and checked here, so a wrong certificate
 * fails before anything listens.
 */
export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  const config = parseConfig(options.config);
  const nodeId = config.nodeId;
  const logger = options.logger ?? createDefaultLogger();
  const clock = options.clock ?? systemClock;
  const material: TlsMaterial = loadTlsMaterial(config.tls, nodeId, clock.now());
  const { maxMessageBytes } = config.limits;
  // A frame up to twice the limit is received and dropped on its own (counted); a larger one makes
  // gRPC reset the stream, which bounds what a peer can make this node buffer.
  const hardFrameLimit = 2 * maxMessageBytes + MAX_FRAME_OVERHEAD;
  // Batches stay under what a peer with the same limits accepts as one gRPC message.
  const maxBatchBytes = Math.min(MAX_BATCH_BYTES, hardFrameLimit);
  const channelOptions: ChannelOptions = {
    'grpc.keepalive_time_ms': config.keepalive.interval,
    'grpc.keepalive_timeout_ms': config.keepalive.timeout,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': hardFrameLimit,
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
    // each attempt uses a fresh channel; keep gRPC's own subchannel backoff out of the way
    'grpc.initial_reconnect_backoff_ms': config.reconnect.connectTimeout,
    'grpc.max_reconnect_backoff_ms': config.reconnect.connectTimeout,
    // SNI must not be an IP address; identity is checked on the certificate's node URI instead
    'grpc.ssl_target_name_override': 'node.hypermesh',
  };
  const links = new Map<string, PeerLink>();
  const dialers = new Map<string, Dialer>();
  const subscriptions = new Map<string, Set<TransportMessageHandler>>();
  const statusListeners = new Set<(peer: string, status: PeerStatus) => void>();
  const channelCache = new Map<string, Buffer>();
  const refusedStreams: Record<RefusalReason, number> = { 'no-node-id': 0, 'identity-mismatch': 0, 'unknown-peer': 0 };
  const dropLog = new DropLog(logger, clock);
  let peerIds: readonly string[] = [];
  let server: Server | undefined;
  let boundAddress: string | undefined;
  let started = false;
  let closed = false;
  let stopping: Promise<void> | undefined;
  let allDown: (() => void) | undefined;

  const owner: LinkOwner = {
    onFrame: (peer, frame) => receive(peer, frame),
    onStatus: (peer, status) => {
      logger.info({ peer, status }, `peer '${peer}' is ${status}`);
      for (const listener of statusListeners) {
        try {
          listener(peer, status);
        } catch (err) {
          logger.error({ peer, status, err }, 'a peer status listener threw');
        }
      }
      if (status === 'down' && allDown !== undefined && [...links.values()].every((l) => l.status === 'down')) allDown();
    },
    onStreamEnded: (peer: string, role: StreamRole, detail: string) => {
      if (!closed) logger.info({ peer, role, detail }, `stream with peer '${peer}' ended: ${detail}`);
    },
  };

  const dials = (peer: string) => nodeId < peer;
  const newDialer = (link: PeerLink) =>
    new Dialer(link, {
      selfId: nodeId,
      credentials: clientCredentials(material, link.peer),
      channelOptions,
      clock,
      backoff: config.reconnect,
      connectTimeout: config.reconnect.connectTimeout,
      logger,
    });

  const applyPeers = (peers: Readonly<Record<string, string>>) => {
    checkPeers(nodeId, peers);
    for (const [peer, link] of links) {
      if (peers[peer] !== undefined) continue;
      dialers.get(peer)?.stop();
      link.close();
      link.destroy();
      dialers.get(peer)?.close();
      dialers.delete(peer);
      links.delete(peer);
    }
    for (const [peer, address] of Object.entries(peers)) {
      const existing = links.get(peer);
      if (existing !== undefined) {
        existing.address = address;
        continue;
      }
      const link = new PeerLink(peer, address, owner, { ...config.limits, maxBatchBytes });
      links.set(peer, link);
      if (dials(peer)) {
        const dialer = newDialer(link);
        dialers.set(peer, dialer);
        if (started && !closed) dialer.start();
      }
    }
    peerIds = Object.freeze([...links.keys()].sort());
  };
  applyPeers(config.peers);

  const receive = (peer: string, frame: Buffer) => {
    if (!isBatch(frame)) {
      deliver(peer, frame);
      return;
    }
    if (!splitBatch(frame, (inner) => deliver(peer, inner))) {
      const counters = links.get(peer)?.counters;
      if (counters !== undefined) counters.dropped.malformed++;
      dropLog.note(peer, 'malformed', `dropped the rest of a malformed batch from '${peer}': a length runs past its end`, { bytes: frame.byteLength });
    }
  };

  const deliver = (peer: string, frame: Buffer) => {
    const link = links.get(peer);
    if (link === undefined) return;
    const counters = link.counters;
    counters.receivedMessages++;
    counters.receivedBytes += frame.byteLength;
    const decoded = decodeFrame(frame);
    if (!decoded.ok) {
      counters.dropped.malformed++;
      dropLog.note(peer, 'malformed', `dropped a malformed frame from '${peer}': ${decoded.problem}`, { problem: decoded.problem, bytes: frame.byteLength });
      return;
    }
    if (decoded.payload.byteLength > maxMessageBytes) {
      counters.dropped.oversized++;
      dropLog.note(peer, 'oversized', `dropped a ${decoded.payload.byteLength}-byte message from '${peer}' on channel '${decoded.channel}': the limit is ${maxMessageBytes} bytes`, {
        channel: decoded.channel,
        bytes: decoded.payload.byteLength,
      });
      return;
    }
    const handlers = subscriptions.get(decoded.channel);
    if (handlers === undefined || handlers.size === 0) {
      counters.dropped['no-subscriber']++;
      return;
    }
    for (const handler of handlers) {
      try {
        handler(peer, decoded.payload);
      } catch (err) {
        counters.handlerErrors++;
        dropLog.note(peer, 'handler-error', `a subscriber of channel '${decoded.channel}' threw on a message from '${peer}'`, { err });
      }
    }
  };

  const onIncoming = (call: ServerDuplexStream<Buffer, Buffer>) => {
    if (closed) {
      call.on('error', () => undefined);
      call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: `node '${nodeId}' is stopping`, metadata: new Metadata() });
      return;
    }
    const auth = authenticate(call, (id) => links.has(id));
    if ('reason' in auth) {
      refusedStreams[auth.reason]++;
      dropLog.note(`peer at ${call.getPeer()}`, auth.reason, `refused an incoming stream: ${auth.message}`);
      refuse(call, auth.message);
      return;
    }
    const reply = new Metadata();
    reply.set(NODE_METADATA_KEY, nodeId);
    call.sendMetadata(reply);
    links.get(auth.peer)!.attach(call, 'accepted');
  };

  const channelOf = (channel: string): Buffer => {
    let bytes = channelCache.get(channel);
    if (bytes === undefined) {
      bytes = channelBytes(channel);
      if (bytes === undefined) throw refused(nodeId, `channel ${JSON.stringify(channel)} must be 1 to 255 bytes of UTF-8`);
      if (channelCache.size < 4096) channelCache.set(channel, bytes);
    }
    return bytes;
  };

  const send = (to: string, channel: string, payload: Uint8Array): boolean => {
    if (closed) throw refused(nodeId, `cannot send to '${to}' on channel '${channel}': the transport is stopped`);
    const link = links.get(to);
    if (link === undefined) throw refused(nodeId, refusedMessage.unknownPeer(to, peerIds));
    if (!(payload instanceof Uint8Array)) throw refused(nodeId, `payload on channel '${channel}' must be a Uint8Array`);
    if (payload.byteLength > maxMessageBytes) {
      throw refused(nodeId, `a ${payload.byteLength}-byte message on channel '${channel}' exceeds the ${maxMessageBytes}-byte limit (limits.maxMessageBytes)`);
    }
    return link.enqueue(encodeFrame(channelOf(channel), payload));
  };

  const transport: GrpcTransport = {
    nodeId,
    maxMessageBytes,
    peers: () => peerIds,
    send,
    broadcast(channel, payload) {
      for (const peer of peerIds) send(peer, channel, payload);
    },
    subscribe(channel, handler) {
      let set = subscriptions.get(channel);
      if (set === undefined) subscriptions.set(channel, (set = new Set()));
      set.add(handler);
      return () => void set.delete(handler);
    },
    onPeerStatus(listener) {
      statusListeners.add(listener);
      return () => void statusListeners.delete(listener);
    },
    address() {
      if (boundAddress === undefined) throw refused(nodeId, 'the transport has no address before start()');
      return boundAddress;
    },
    setPeers(peers) {
      applyPeers(peers);
    },
    stats() {
      const peers: Record<string, PeerStats> = {};
      for (const [peer, link] of links) {
        const c = link.counters;
        peers[peer] = { ...c, dropped: { ...c.dropped }, status: link.status, address: link.address, queuedMessages: link.queuedMessages, queuedBytes: link.queuedBytes };
      }
      return { peers, refusedStreams: { ...refusedStreams } };
    },
    async start() {
      if (closed) throw refused(nodeId, 'a stopped transport cannot be started again; create a new one');
      if (started) return;
      started = true;
      const grpcServer = new Server({
        'grpc.keepalive_time_ms': config.keepalive.interval,
        'grpc.keepalive_timeout_ms': config.keepalive.timeout,
        'grpc.max_receive_message_length': hardFrameLimit,
        'grpc.max_concurrent_streams': 16,
      });
      grpcServer.addService({ exchange: exchangeMethod } as ServiceDefinition, { exchange: onIncoming });
      const port = await new Promise<number>((resolve, reject) => {
        grpcServer.bindAsync(config.listen, serverCredentials(material), (err, boundPort) => {
          if (err === null) resolve(boundPort);
          else reject(new GrpcTransportError(GrpcErrorCode.ListenFailed, `node '${nodeId}' cannot listen on ${config.listen}: ${err.message}`, { cause: err }));
        });
      }).catch((err: unknown) => {
        grpcServer.forceShutdown();
        started = false;
        throw err;
      });
      server = grpcServer;
      boundAddress = `${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${port}`;
      logger.info({ address: boundAddress, peers: peerIds }, `gRPC transport of '${nodeId}' listening on ${boundAddress}`);
      for (const dialer of dialers.values()) dialer.start();
    },
    stop() {
      stopping ??= (async () => {
        closed = true;
        for (const dialer of dialers.values()) dialer.stop();
        let dropped = 0;
        for (const link of links.values()) dropped += link.close();
        if (dropped > 0) logger.info({ dropped }, `dropped ${dropped} queued messages at stop`);
        if ([...links.values()].some((l) => l.status === 'up')) {
          await new Promise<void>((resolve) => {
            const timer = clock.setTimeout(resolve, config.stopGrace);
            allDown = () => {
              clock.clearTimeout(timer);
              resolve();
            };
          });
        }
        for (const link of links.values()) link.destroy();
        for (const dialer of dialers.values()) dialer.close();
        server?.forceShutdown();
        server = undefined;
      })();
      return stopping;
    },
  };
  if (options.metrics !== undefined) {
    registerTransportMetrics(options.metrics, { links: () => links.values(), refusedStreams: () => refusedStreams });
  }
  return transport;
}
