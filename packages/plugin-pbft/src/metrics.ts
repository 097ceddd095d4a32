/**
 * Every metric the PBFT plugin exports, in one place. Gauges read protocol state at scrape time,
 * so the message path only increments counters.
 */
import type { PluginMetrics } from '@hypermesh/runtime';
import type { Counter, Histogram } from 'prom-client';

/** Why a message was dropped (the `reason` label). */
export type DropReason =
  | 'oversized'
  | 'malformed'
  | 'bad-signature'
  | 'unknown-sender'
  | 'not-a-replica'
  | 'isolated'
  | 'relayed'
  | 'not-primary'
  | 'stale'
  | 'wrong-view'
  | 'out-of-window'
  | 'equivocation'
  | 'bad-digest'
  | 'invalid-certificate'
  | 'invalid-operation'
  | 'overloaded'
  | 'unwanted';

/** What the gauges read. */
export interface PbftGaugeSource {
  view(): number;
  lastExecuted(): number;
  stableCheckpoint(): number;
  pendingRequests(): number;
  isolatedNodes(): number;
  reputations(): readonly { readonly replica: string; readonly reputation: number }[];
}

/** The plugin's metrics. */
export interface PbftMetrics {
  readonly received: Counter<'type'>;
  readonly dropped: Counter<'reason' | 'sender'>;
  readonly skipped: Counter<'type'>;
  readonly sendFailures: Counter<'type'>;
  readonly viewChanges: Counter;
  readonly batchesCommitted: Counter;
  readonly requestsExecuted: Counter;
  readonly batchSize: Histogram;
  readonly checkpoints: Counter;
  readonly stateTransfers: Counter;
  readonly suspicions: Counter<'action' | 'severity'>;
  readonly submitDuration: Histogram<'outcome'>;
  /** Points the gauges at the running replica. */
  bind(source: PbftGaugeSource): void;
}

/** Registers the plugin's metrics in the node registry. */
export function createPbftMetrics(metrics: PluginMetrics): PbftMetrics {
  let source: PbftGaugeSource | undefined;
  const gauge = (name: string, help: string, read: (s: PbftGaugeSource) => number) =>
    metrics.gauge({
      name,
      help,
      collect() {
        if (source !== undefined) this.set(read(source));
      },
    });
  gauge('hypermesh_pbft_view', 'Current view number', (s) => s.view());
  gauge('hypermesh_pbft_last_executed', 'Last sequence number executed on this replica', (s) => s.lastExecuted());
  gauge('hypermesh_pbft_stable_checkpoint', 'Sequence number of the last stable checkpoint (low watermark)', (s) => s.stableCheckpoint());
  gauge('hypermesh_pbft_pending_requests', 'Requests received and not yet executed', (s) => s.pendingRequests());
  gauge('hypermesh_pbft_isolated_nodes', 'Replicas whose messages this replica ignores', (s) => s.isolatedNodes());
  metrics.gauge({
    name: 'hypermesh_pbft_reputation',
    help: 'Reputation of each replica in [0, 1] as this replica sees it',
    labelNames: ['replica'],
    collect() {
      if (source === undefined) return;
      for (const { replica, reputation } of source.reputations()) this.set({ replica }, reputation);
    },
  });
  return {
    received: metrics.counter({ name: 'hypermesh_pbft_messages_received_total', help: 'Protocol messages accepted, by type', labelNames: ['type'] }),
    dropped: metrics.counter({
      name: 'hypermesh_pbft_messages_dropped_total',
      help: 'Messages dropped, by reason and by the node that sent them',
      labelNames: ['reason', 'sender'],
    }),
    skipped: metrics.counter({
      name: 'hypermesh_pbft_messages_skipped_total',
      help: 'Votes and replies that arrived after they could change anything: not verified, not used',
      labelNames: ['type'],
    }),
    sendFailures: metrics.counter({ name: 'hypermesh_pbft_send_failures_total', help: 'Messages the transport refused to send', labelNames: ['type'] }),
    viewChanges: metrics.counter({ name: 'hypermesh_pbft_view_changes_total', help: 'View changes this replica started' }),
    batchesCommitted: metrics.counter({ name: 'hypermesh_pbft_batches_committed_total', help: 'Batches executed' }),
    requestsExecuted: metrics.counter({ name: 'hypermesh_pbft_requests_executed_total', help: 'Requests executed (duplicates excluded)' }),
    batchSize: metrics.histogram({ name: 'hypermesh_pbft_batch_size', help: 'Requests per executed batch', buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }),
    checkpoints: metrics.counter({ name: 'hypermesh_pbft_stable_checkpoints_total', help: 'Checkpoints that became stable' }),
    stateTransfers: metrics.counter({ name: 'hypermesh_pbft_state_transfers_total', help: 'Checkpoint snapshots fetched from peers' }),
    suspicions: metrics.counter({ name: 'hypermesh_pbft_suspicions_total', help: 'Fault detector actions', labelNames: ['action', 'severity'] }),
    submitDuration: metrics.histogram({
      name: 'hypermesh_pbft_submit_duration_seconds',
      help: 'Time from submit to f+1 matching replies',
      labelNames: ['outcome'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    }),
    bind(s) {
      source = s;
    },
  };
}
