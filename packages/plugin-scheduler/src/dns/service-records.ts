import type { ResolverService, WorkloadSpec, ZoneRecordInput } from '@hypermesh/runtime';

/** The service name of a workload inside the cluster domain: `name.svc`, or `name.namespace.svc` outside `default`. */
export const serviceName = (spec: Pick<WorkloadSpec, 'name' | 'namespace'>): string =>
  (spec.namespace ?? 'default') === 'default' ? `${spec.name}.svc` : `${spec.name}.${spec.namespace}.svc`;

/**
 * The records of a running workload with ports: an A record `NAME.svc.<domain>` → its address, and
 * SRV records (RFC 2782) for each port, at `_<port>._<proto>.NAME.svc.<domain>` and at the service
 * name itself, targeting `NAME.svc.<domain>`.
 */
export function serviceRecords(spec: WorkloadSpec, address: string, domain: string, ttl: number): ZoneRecordInput[] {
  const name = serviceName(spec);
  const target = `${name}.${domain}`;
  const records: ZoneRecordInput[] = [{ name, type: 'A', ttl, data: address }];
  for (const port of spec.ports ?? []) {
    const data = { priority: 0, weight: 0, port: port.port, target };
    records.push({ name: `_${port.name}._${port.protocol}.${name}`, type: 'SRV', ttl, data });
    records.push({ name, type: 'SRV', ttl, data });
  }
  return records;
}

/** Removes a workload's records from the zone: the name itself and each of its port names. */
export async function removeServiceRecords(resolver: ResolverService, spec: WorkloadSpec): Promise<void> {
  const name = serviceName(spec);
  await resolver.zone.remove(name);
  for (const port of spec.ports ?? []) await resolver.zone.remove(`_${port.name}._${port.protocol}.${name}`);
}
