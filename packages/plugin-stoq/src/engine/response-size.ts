import type { DnsRecord, DnsResolution } from '@hypermesh/runtime';

/**
 * The size of a response on the wire, estimated from its records (RFC 1035 §4.1): header 12,
 * question name + 4, and per record its name + 10 + RDATA. Names count as uncompressed, so this
 * overestimates a little — enough to tell a 60-byte answer from a 3,000-byte one.
 */
export function estimateResponseSize(resolution: DnsResolution): number {
  let size = 12 + resolution.question.name.length + 2 + 4;
  for (const section of [resolution.answers, resolution.authorities, resolution.additionals]) {
    for (const record of section) size += record.name.length + 2 + 10 + rdataSize(record);
  }
  return size;
}

function rdataSize(record: DnsRecord): number {
  const data: unknown = record.data;
  switch (record.type) {
    case 'A':
      return 4;
    case 'AAAA':
      return 16;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return typeof data === 'string' ? data.length + 2 : 0;
    case 'TXT':
      return Array.isArray(data) ? data.reduce((n: number, s: unknown) => n + (typeof s === 'string' ? s.length + 1 : 0), 0) : 0;
    case 'MX':
      return 2 + ((data as { exchange?: string }).exchange?.length ?? 0) + 2;
    case 'SRV':
      return 6 + ((data as { target?: string }).target?.length ?? 0) + 2;
    case 'SOA':
      return 20 + ((data as { mname?: string }).mname?.length ?? 0) + ((data as { rname?: string }).rname?.length ?? 0) + 4;
    case 'TLSA':
      return 3 + ((data as { certificate?: Uint8Array }).certificate?.length ?? 0);
    default:
      return data instanceof Uint8Array ? data.length : 0;
  }
}
