/** Why a message was dropped, as counted in `hypermesh_transport_dropped_total{reason}`. */
export type DropReason =
  /** `send` returned false: the peer's send queue was full (back-pressure). */
  | 'queue-full'
  /** A received message larger than `limits.maxMessageBytes`. */
  | 'oversized'
  /** A received frame that does not decode (empty, unknown kind, truncated, bad channel name). */
  | 'malformed'
  /** A received message on a channel nobody subscribes to. */
  | 'no-subscriber'
  /** Messages still queued when the transport stopped or the peer was removed. */
  | 'closed';

/** Every drop reason, in the order metrics list them. */
export const DROP_REASONS: readonly DropReason[] = ['queue-full', 'oversized', 'malformed', 'no-subscriber', 'closed'];

/** Counters of one peer link, read by the metrics at scrape time. */
export interface LinkCounters {
  /** Messages written to the peer's stream. */
  sentMessages: number;
  /** Bytes written to the peer's stream (frames: payload plus channel header). */
  sentBytes: number;
  /** Messages received from the peer and decoded (delivered or not). */
  receivedMessages: number;
  /** Bytes received from the peer (frames). */
  receivedBytes: number;
  /** Connection attempts made by this node (only the dialing side of a pair counts them). */
  connectAttempts: number;
  /** Times the link came up again after it had been up and was lost. */
  reconnects: number;
  /** Subscriber handlers that threw (the message had been delivered to the others). */
  handlerErrors: number;
  /** Dropped messages by reason. */
  dropped: Record<DropReason, number>;
}

/** Fresh zeroed counters. */
export function newLinkCounters(): LinkCounters {
  return {
    sentMessages: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    connectAttempts: 0,
    reconnects: 0,
    handlerErrors: 0,
    dropped: { 'queue-full': 0, oversized: 0, malformed: 0, 'no-subscriber': 0, closed: 0 },
  };
}
