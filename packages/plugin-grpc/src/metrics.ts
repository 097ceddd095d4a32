import type { PluginMetrics } from '@hypermesh/runtime';
import { DROP_REASONS, type LinkCounters } from './link/link-stats.js';
import { REFUSAL_REASONS, type RefusalReason } from './transport/authenticate.js';

/** What the metrics read of one peer link. */
export interface LinkView {
  readonly peer: string;
  readonly status: 'up' | 'down';
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly counters: LinkCounters;
}

/** What the metrics read at scrape time: the links' counters and the transport's refusals. */
export interface MetricsSource {
  /** One entry per peer. */
  links(): Iterable<LinkView>;
  /** Incoming streams refused, by reason. */
  refusedStreams(): Readonly<Record<RefusalReason, number>>;
}

/**
 * Registers every metric of the transport. Values live in plain counters on the hot path and are
 * copied into prom-client at scrape time (`collect`), so sending a message costs no label lookups.
 *
 * | metric | labels | meaning |
 * |---|---|---|
 * | `hypermesh_transport_sent_messages_total` | peer | messages written to the peer's stream |
 * | `hypermesh_transport_sent_bytes_total` | peer | bytes written (frames: payload + channel header) |
 * | `hypermesh_transport_received_messages_total` | peer | frames received from the peer |
 * | `hypermesh_transport_received_bytes_total` | peer | bytes received |
 * | `hypermesh_transport_queue_messages` | peer | messages waiting in the send queue |
 * | `hypermesh_transport_queue_bytes` | peer | bytes waiting in the send queue |
 * | `hypermesh_transport_peer_up` | peer | 1 while a stream to the peer is live |
 * | `hypermesh_transport_connect_attempts_total` | peer | dials (by the side that dials) |
 * | `hypermesh_transport_reconnects_total` | peer | times the link came back after being lost |
 * | `hypermesh_transport_dropped_total` | peer, reason | messages dropped: queue-full, oversized, malformed, no-subscriber, closed |
 * | `hypermesh_transport_handler_errors_total` | peer | subscriber handlers that threw |
 * | `hypermesh_transport_refused_streams_total` | reason | incoming streams refused: no-node-id, identity-mismatch, unknown-peer |
 */
export function registerTransportMetrics(metrics: PluginMetrics, source: MetricsSource): void {
  const perPeer = (name: string, help: string, read: (link: LinkView) => number, kind: 'counter' | 'gauge') => {
    const values = () => [...source.links()].map((link) => [{ peer: link.peer }, read(link)] as const);
    if (kind === 'counter') metrics.counterFrom({ name, help, labelNames: ['peer'] }, values);
    else metrics.gaugeFrom({ name, help, labelNames: ['peer'] }, values);
  };
  perPeer('hypermesh_transport_sent_messages_total', 'Messages written to the stream of each peer', (l) => l.counters.sentMessages, 'counter');
  perPeer('hypermesh_transport_sent_bytes_total', 'Frame bytes written to the stream of each peer', (l) => l.counters.sentBytes, 'counter');
  perPeer('hypermesh_transport_received_messages_total', 'Frames received from each peer', (l) => l.counters.receivedMessages, 'counter');
  perPeer('hypermesh_transport_received_bytes_total', 'Frame bytes received from each peer', (l) => l.counters.receivedBytes, 'counter');
  perPeer('hypermesh_transport_queue_messages', 'Messages waiting in the send queue of each peer', (l) => l.queuedMessages, 'gauge');
  perPeer('hypermesh_transport_queue_bytes', 'Bytes waiting in the send queue of each peer', (l) => l.queuedBytes, 'gauge');
  perPeer('hypermesh_transport_peer_up', '1 while a stream to the peer is live, else 0', (l) => (l.status === 'up' ? 1 : 0), 'gauge');
  perPeer('hypermesh_transport_connect_attempts_total', 'Connection attempts to each peer (dialing side only)', (l) => l.counters.connectAttempts, 'counter');
  perPeer('hypermesh_transport_reconnects_total', 'Times the link to each peer came back after being lost', (l) => l.counters.reconnects, 'counter');
  perPeer('hypermesh_transport_handler_errors_total', 'Subscriber handlers that threw on a message from each peer', (l) => l.counters.handlerErrors, 'counter');
  metrics.counterFrom(
    { name: 'hypermesh_transport_dropped_total', help: 'Messages dropped, by peer and reason (queue-full, oversized, malformed, no-subscriber, closed)', labelNames: ['peer', 'reason'] },
    () => [...source.links()].flatMap((link) => DROP_REASONS.map((reason) => [{ peer: link.peer, reason }, link.counters.dropped[reason]] as const)),
  );
  metrics.counterFrom(
    { name: 'hypermesh_transport_refused_streams_total', help: 'Incoming streams refused after TLS, by reason (no-node-id, identity-mismatch, unknown-peer)', labelNames: ['reason'] },
    () => {
      const refused = source.refusedStreams();
      return REFUSAL_REASONS.map((reason) => [{ reason }, refused[reason]] as const);
    },
  );
}
