import type { ResolverService } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { ClusterState, NamespacedSpec } from '../state/cluster-state.js';
import type { StateEvent } from '../state/state-machine.js';
import { removeServiceRecords, serviceRecords } from './service-records.js';

/** Options of {@link createRecordPublisher}. */
export interface RecordPublisherOptions {
  readonly nodeId: string;
  readonly resolver: ResolverService;
  /** The cluster domain the records live in. */
  readonly domain: string;
  readonly ttl: number;
  readonly state: () => ClusterState;
  readonly logger: Logger;
  /** Counts zone updates by outcome. */
  readonly count?: (action: 'upsert' | 'remove', outcome: 'ok' | 'error') => void;
}

/**
 * Publishes service records as workloads come and go. Every node sees the same state changes, and
 * exactly one acts on each, decided from replicated state alone: the node that runs a workload
 * publishes its records once its agent reports it running (and removes them when it stops running);
 * when a workload leaves a node, that node removes them — or, if it is not ready, the first ready
 * node by id. The zone itself is replicated by the DNS plugin (`dns.records`), so one update is
 * enough.
 */
export function createRecordPublisher(options: RecordPublisherOptions): (event: StateEvent) => void {
  const published = new Map<string, string>();
  const { nodeId, resolver, logger } = options;

  const run = (action: 'upsert' | 'remove', key: string, work: () => Promise<void>) => {
    work().then(
      () => options.count?.(action, 'ok'),
      (err: Error) => {
        options.count?.(action, 'error');
        logger.warn({ workload: key, err: err.message }, `service record ${action} failed`);
      },
    );
  };

  const remove = (key: string, spec: NamespacedSpec) => {
    published.delete(key);
    run('remove', key, () => removeServiceRecords(resolver, spec));
  };

  /** The node that cleans up after a workload that left `node`. */
  const cleaner = (node: string | undefined): string | undefined => {
    const state = options.state();
    const owner = node === undefined ? undefined : state.nodes.get(node);
    if (owner?.ready) return owner.id;
    return state.sortedNodes.find((n) => n.ready)?.id;
  };

  return (event) => {
    if (event.type === 'status') {
      const record = options.state().workloads.get(event.key);
      if (record === undefined || record.node !== nodeId || (record.spec.ports?.length ?? 0) === 0) return;
      const run_ = record.run;
      if (run_?.phase === 'running' && run_.address !== undefined && run_.health !== 'unhealthy') {
        const records = serviceRecords(record.spec, run_.address, options.domain, options.ttl);
        const json = JSON.stringify(records);
        if (published.get(event.key) === json) return;
        published.set(event.key, json);
        run('upsert', event.key, () => resolver.zone.upsert(records));
      } else if (published.has(event.key)) {
        remove(event.key, record.spec);
      }
      return;
    }
    if (event.type === 'unbound' || event.type === 'removed') {
      const spec = event.type === 'removed' ? event.spec : options.state().workloads.get(event.key)?.spec;
      if (spec === undefined || (spec.ports?.length ?? 0) === 0) return;
      if (cleaner(event.node) === nodeId) remove(event.key, spec);
      else published.delete(event.key);
    }
  };
}
