import type { ClockService, ConsensusService, DnsRecord, JsonValue, ResolverService, ZoneRecordInput } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { createZoneMachine, ZONE_NAMESPACE, type ZoneOperation } from './zone-machine.js';
import { absoluteName, toDnsRecord, toZoneEntry, type ZoneRecordType } from './zone-records.js';
import type { ZoneStore } from './zone-store.js';

/** Options of {@link createServiceZone}. */
export interface ServiceZoneOptions {
  readonly store: ZoneStore;
  /** When present, changes are ordered through it (`dns.records`); otherwise applied locally. */
  readonly consensus: ConsensusService | undefined;
  readonly clock: ClockService;
  readonly nodeId: string;
}

/**
 * The `zone` part of the resolver service. With consensus, `upsert`/`remove` resolve once the
 * change committed (so every node answers it); without, the change applies at once.
 */
export function createServiceZone(options: ServiceZoneOptions): ResolverService['zone'] {
  const { store, consensus, clock, nodeId } = options;
  const machine = createZoneMachine(store);
  consensus?.registerStateMachine(ZONE_NAMESPACE, machine);
  let sequence = 0;

  const commit = async (op: ZoneOperation, what: string): Promise<void> => {
    if (consensus === undefined) {
      machine.apply(op as unknown as JsonValue, { sequence: ++sequence, index: 0, view: 0, clientId: nodeId, timestamp: clock.now() });
      return;
    }
    try {
      await consensus.submit(ZONE_NAMESPACE, op as unknown as JsonValue);
    } catch (err) {
      throw new DnsCtError(
        DnsCtErrorCode.ZoneCommit,
        `${what} did not commit through consensus (${(err as Error).message}); the zone is unchanged on this node — retry once the cluster has a quorum`,
        { cause: err },
      );
    }
  };

  const { domain, defaultTtl } = store.apex;
  return {
    domain,
    async upsert(records: readonly ZoneRecordInput[]) {
      const entries = records.map((r) => toZoneEntry(r, domain, defaultTtl));
      if (entries.length === 0) return;
      await commit({ op: 'upsert', records: entries }, `upsert of ${entries.length} record(s) for '${entries[0]!.name}'`);
    },
    async remove(name: string, type?: ZoneRecordType) {
      const absolute = absoluteName(name, domain);
      if (absolute === undefined) {
        throw new DnsCtError(DnsCtErrorCode.ZoneRecord, `cannot remove '${name}': it is not a name inside the cluster domain '${domain}'`);
      }
      await commit(type === undefined ? { op: 'remove', name: absolute } : { op: 'remove', name: absolute, type }, `removal of '${absolute}'`);
    },
    /** The published records (SOA and NS are synthesised at the apex and not listed). */
    list: (): readonly DnsRecord[] => store.entries().map(toDnsRecord),
  };
}
