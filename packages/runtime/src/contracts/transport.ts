import { createServiceRef } from '../services/service-ref.js';

/** Receives a message: the sending node's id and the payload bytes. */
export type TransportMessageHandler = (from: string, payload: Uint8Array) => void;

/** Whether a peer is reachable. */
export type PeerStatus = 'up' | 'down';

/**
 * Node-to-node messaging with datagram semantics: a message is delivered at most once per send
 * (a faulty network may still duplicate it — receivers must be idempotent), possibly out of order,
 * possibly not at all. Consensus protocols such as PBFT are built for exactly this.
 *
 * Guarantees an implementation gives:
 * - `from` is authenticated: the transport only reports a sender it has verified (mutual TLS for
 *   gRPC; by construction for the in-memory network);
 * - a payload larger than `maxMessageBytes` is refused at `send` (`E_TRANSPORT_REFUSED`) and never
 *   delivered;
 * - handlers run on the event loop, one message at a time per channel.
 */
export interface TransportService {
  /** This node's id. */
  readonly nodeId: string;
  /** The largest payload accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Ids of the other nodes this transport can address (not including this node). */
  peers(): readonly string[];
  /**
   * Queues `payload` for `to` on `channel`. Returns `false` when the message was dropped locally
   * because the send queue is full (back-pressure). Throws `E_TRANSPORT_REFUSED` for an unknown
   * peer, an oversized payload or a closed transport.
   */
  send(to: string, channel: string, payload: Uint8Array): boolean;
  /** Sends `payload` to every peer on `channel` (not to this node). */
  broadcast(channel: string, payload: Uint8Array): void;
  /** Receives messages on `channel`. Returns a function that unsubscribes. */
  subscribe(channel: string, handler: TransportMessageHandler): () => void;
  /** Learns when peers become reachable or unreachable. Returns a function that unsubscribes. */
  onPeerStatus(listener: (peer: string, status: PeerStatus) => void): () => void;
}

/** The `transport` service: authenticated node-to-node messages. */
export const transportRef = createServiceRef<TransportService>({
  id: 'transport',
  version: '1.0.0',
  description: 'Authenticated node-to-node messages (datagram semantics)',
});
