import { durationSchema } from '@hypermesh/runtime';
import { z } from 'zod';
import { NODE_ID_PATTERN } from './identity/node-identity.js';

const nodeId = z.string().regex(NODE_ID_PATTERN, {
  message: "must be a node id: letters, digits, '.', '_', '-', at most 63, starting with a letter or digit",
});

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be HOST:PORT, e.g. 10.0.0.2:7700 or [::1]:7700' })
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65_535, { message: 'port must be at most 65535' });

/** PEM text (it starts with `-----BEGIN`), or the path of a PEM file read at setup. */
const pemOrPath = z.string().min(1, { message: 'must be PEM text or the path of a PEM file' });

/** TLS material: every node trusts the cluster CA and presents a certificate naming its own id. */
export const tlsConfigSchema = z.strictObject({
  /** The cluster CA certificate(s) (PEM or path). Peers must present a certificate it issued. */
  ca: pemOrPath,
  /** This node's certificate (PEM or path); its subjectAltName URI must be `hypermesh://node/<nodeId>`. */
  cert: pemOrPath,
  /** This node's private key (PEM or path). */
  key: pemOrPath,
});

/** Size limits and queue bounds. */
export const limitsConfigSchema = z.strictObject({
  /** Largest payload `send` accepts and a receiver delivers, in bytes. Default 4 MiB. */
  maxMessageBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Messages queued towards one peer before `send` returns false (back-pressure). Default 4096. */
  maxQueuedMessages: z.number().int().min(1).default(4096),
  /** Bytes queued towards one peer before `send` returns false. Default 64 MiB. */
  maxQueuedBytes: z.number().int().min(1).default(64 * 1024 * 1024),
});

/** How a lost connection is retried: exponential backoff with jitter. */
export const reconnectConfigSchema = z.strictObject({
  /** Delay before the first retry. Default 100 ms. */
  initialBackoff: durationSchema.default(100),
  /** The longest delay between retries. Default 5 s. */
  maxBackoff: durationSchema.default(5_000),
  /** Each failed attempt multiplies the delay by this. Default 2. */
  multiplier: z.number().min(1).max(10).default(2),
  /** Each delay is randomised by ± this fraction, so peers do not retry in lockstep. Default 0.2. */
  jitter: z.number().min(0).max(1).default(0.2),
  /** How long a connection attempt may take before it is abandoned and retried. Default 5 s. */
  connectTimeout: durationSchema.default(5_000),
});

/** HTTP/2 keepalive pings, which detect a peer that vanished without closing its connection. */
export const keepaliveConfigSchema = z.strictObject({
  /** Ping interval on an otherwise quiet connection. Default 10 s. */
  interval: durationSchema.default(10_000),
  /** A ping unanswered this long closes the connection (the peer goes down). Default 5 s. */
  timeout: durationSchema.default(5_000),
});

/**
 * The config of `@hypermesh/plugin-grpc` (`config['@hypermesh/plugin-grpc']`). Durations take a
 * number of milliseconds or a string with a unit (`250ms`, `2s`).
 */
export const grpcTransportConfigSchema = z.strictObject({
  /** This node's id; default: the node's id (`createNode({ id })`). When given, the two must agree. */
  nodeId: nodeId.optional(),
  /** Where the server listens, HOST:PORT. Port 0 picks a free port (see `address()`). */
  listen: hostPort,
  /** The other nodes, id → HOST:PORT. The node whose id sorts first in each pair dials the other. */
  peers: z.record(nodeId, hostPort).default({}),
  /** The cluster CA, this node's certificate and its key. */
  tls: tlsConfigSchema,
  /** Message size limits and send-queue bounds. */
  limits: limitsConfigSchema.prefault({}),
  /** Reconnection backoff. */
  reconnect: reconnectConfigSchema.prefault({}),
  /** Keepalive pings. */
  keepalive: keepaliveConfigSchema.prefault({}),
  /** How long `stop()` waits for streams to flush and close before it cuts them. Default 1 s. */
  stopGrace: durationSchema.default(1_000),
});

/** The config as written (defaults optional). */
export type GrpcTransportConfigInput = z.input<typeof grpcTransportConfigSchema>;

/** The config after parsing: defaults applied, durations in milliseconds. */
export type GrpcTransportConfig = z.output<typeof grpcTransportConfigSchema>;
