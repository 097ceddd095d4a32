import { canonicalJson, type DnsRcode, type DnsRecord, type DnsRecordType, type JsonValue } from '@hypermesh/runtime';

/** A record as JSON: bytes (TLSA certificate data, raw RDATA) as lower-case hex. */
export interface RecordJson {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: JsonValue;
  [key: string]: JsonValue;
}

/** A record in JSON form, for consensus operations and snapshots. */
export function recordToJson(r: DnsRecord): RecordJson {
  const data = r.data as unknown;
  if (data instanceof Uint8Array) return { name: r.name, type: r.type, ttl: r.ttl, data: { hex: Buffer.from(data).toString('hex') } };
  if (r.type === 'TLSA') {
    const t = r.data as { usage: number; selector: number; matchingType: number; certificate: Uint8Array };
    return { name: r.name, type: r.type, ttl: r.ttl, data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.certificate).toString('hex') } };
  }
  return { name: r.name, type: r.type, ttl: r.ttl, data: data as JsonValue };
}

/** The record a {@link recordToJson} value stands for. */
export function recordFromJson(j: RecordJson): DnsRecord {
  const data = j.data as Record<string, unknown>;
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && typeof data.hex === 'string' && Object.keys(data).length === 1) {
    return { name: j.name, type: j.type as DnsRecordType, ttl: j.ttl, data: Buffer.from(data.hex, 'hex') };
  }
  if (j.type === 'TLSA') {
    const t = data as { usage: number; selector: number; matchingType: number; certificate: string };
    return { name: j.name, type: 'TLSA', ttl: j.ttl, data: { ...t, certificate: Buffer.from(t.certificate, 'hex') } };
  }
  return { name: j.name, type: j.type, ttl: j.ttl, data: j.data } as DnsRecord;
}

/**
 * The meaning of an answer as one string: the rcode and the answer records without TTLs, sorted —
 * two answers agree when their digests are equal (records in a different order or with other TTLs
 * mean the same).
 */
export function rrsetDigest(rcode: DnsRcode, answers: readonly DnsRecord[]): string {
  const lines = answers.map((r) => {
    const { ttl: _ttl, ...rest } = recordToJson(r);
    return canonicalJson(rest as JsonValue);
  });
  lines.sort();
  return `${rcode}\n${lines.join('\n')}`;
}
