import type { DnsResolution } from '@hypermesh/runtime';
import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../wire/query.js';
import { Flag } from '../wire/record-types.js';
import { encodeResponse, type ResponseSpec } from '../wire/response.js';
import { WireWriter } from '../wire/writer.js';
import { PreparedAnswers } from './prepared-answers.js';

const resolution: DnsResolution = {
  question: { name: 'www.example.org', type: 'A' },
  rcode: 'NOERROR',
  answers: [
    { name: 'www.example.org', type: 'CNAME', ttl: 100, data: 'web.example.org' },
    { name: 'web.example.org', type: 'A', ttl: 100, data: '192.0.2.1' },
    { name: 'web.example.org', type: 'A', ttl: 100, data: '192.0.2.2' },
  ],
  authorities: [],
  additionals: [],
  authoritative: false,
  source: 'cache',
  extendedErrors: [],
};

function spec(message: Buffer, edns: boolean): ResponseSpec {
  const q = parseQuery(message);
  if (!q.ok) throw new Error(q.reason);
  return {
    id: q.query.id,
    flags: (q.query.flags & Flag.RD) | Flag.RA,
    rcode: 0,
    query: { buf: message, questionEnd: q.query.questionEnd },
    question: q.query.question,
    answers: resolution.answers,
    authorities: [],
    additionals: [],
    edns: edns ? { udpSize: 1232, dnssecOk: true, options: [] } : undefined,
    limit: 1232,
  };
}

const query = (id: number, name: string, edns: boolean) =>
  packet.encode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: 'A' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: packet.DNSSEC_OK } as packet.Answer] : [],
  });

describe('prepared answers (the cache-hit fast path)', () => {
  it('writes byte for byte what the general encoder writes, for another id and another case', () => {
    const prepared = new PreparedAnswers();
    const writer = new WireWriter();
    const first = query(1, 'www.example.org', true);
    const firstParsed = parseQuery(first);
    if (!firstParsed.ok) throw new Error(firstParsed.reason);
    prepared.remember(resolution, firstParsed.query, encodeResponse(writer, spec(first, true)));
    for (const edns of [true, false]) {
      const second = query(777, 'WWW.Example.ORG', edns);
      const s = spec(second, edns);
      const parsed = parseQuery(second);
      if (!parsed.ok) throw new Error(parsed.reason);
      const fast = prepared.write(resolution, parsed.query, second, s.flags, 0, s.edns, s.limit);
      expect(fast).toBeDefined();
      expect(fast!.equals(encodeResponse(writer, s).bytes)).toBe(true);
      expect(packet.decode(fast!).questions![0]!.name).toBe('WWW.Example.ORG');
    }
    expect(prepared.hits).toBe(2);
  });

  it('falls back when there is nothing prepared, the name has another length, or it does not fit', () => {
    const prepared = new PreparedAnswers();
    const writer = new WireWriter();
    const first = query(1, 'www.example.org', false);
    const parsed = parseQuery(first);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(prepared.write(resolution, parsed.query, first, 0, 0, undefined, 512)).toBeUndefined();
    prepared.remember(resolution, parsed.query, encodeResponse(writer, spec(first, false)));
    const other = query(2, 'www.example.net.x', false);
    const otherParsed = parseQuery(other);
    if (!otherParsed.ok) throw new Error(otherParsed.reason);
    expect(prepared.write(resolution, otherParsed.query, other, 0, 0, undefined, 512)).toBeUndefined();
    expect(prepared.write(resolution, parsed.query, first, 0, 0, undefined, 40)).toBeUndefined();
    // answers with Extended DNS Errors or from upstream (fresh objects) are never prepared
    const stale = { ...resolution, source: 'upstream' as const };
    prepared.remember(stale, parsed.query, encodeResponse(writer, spec(first, false)));
    expect(prepared.write(stale, parsed.query, first, 0, 0, undefined, 512)).toBeUndefined();
  });
});
