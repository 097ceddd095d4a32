import type { DnsRecord } from '@hypermesh/runtime';
import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, writeIpv4, writeIpv4Strict } from './addresses.js';
import { nameCursor, normalizeName, readName } from './names.js';
import { encodeQuery, parseQuery } from './query.js';
import { decodeMessage } from './reader.js';
import { Flag, Rcode } from './record-types.js';
import { encodeResponse, extendedErrorOptions } from './response.js';
import { WireWriter } from './writer.js';

// dns-packet is the independent reference here: what this package writes, it must read back the
// same way, and what dns-packet writes, this package must read.
const records: DnsRecord[] = [
  { name: 'www.example.org', type: 'CNAME', ttl: 300, data: 'web.example.org' },
  { name: 'web.example.org', type: 'A', ttl: 60, data: '192.0.2.10' },
  { name: 'web.example.org', type: 'AAAA', ttl: 60, data: '2001:db8::a' },
  { name: 'example.org', type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'mail.example.org' } },
  { name: '_http._tcp.example.org', type: 'SRV', ttl: 30, data: { priority: 1, weight: 5, port: 8080, target: 'web.example.org' } },
  { name: 'example.org', type: 'TXT', ttl: 30, data: ['v=spf1 -all', 'x'.repeat(300)] },
  {
    name: 'example.org',
    type: 'SOA',
    ttl: 3600,
    data: { mname: 'ns1.example.org', rname: 'hostmaster.example.org', serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 300 },
  },
  { name: '_443._tcp.web.example.org', type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: new Uint8Array([1, 2, 3]) } },
  { name: 'example.org', type: 'CAA', ttl: 60, data: new Uint8Array([0, 5, 105, 115, 115, 117, 101, 97]) },
];

function query(name: string, type: string, extra: Partial<packet.Packet> = {}): Buffer {
  return packet.encode({ id: 4242, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }], ...extra });
}

describe('wire codec', () => {
  it('round-trips every record type through its own decoder and through dns-packet', () => {
    const w = new WireWriter();
    const q = parseQuery(query('Www.Example.org', 'A'));
    if (!q.ok) throw new Error(q.reason);
    const { bytes, truncated } = encodeResponse(w, {
      id: q.query.id,
      flags: Flag.RD | Flag.RA,
      rcode: Rcode.NOERROR,
      query: { buf: query('Www.Example.org', 'A'), questionEnd: q.query.questionEnd },
      question: q.query.question,
      answers: records,
      authorities: [],
      additionals: [],
      edns: undefined,
      limit: 65535,
    });
    expect(truncated).toBe(false);
    const mine = decodeMessage(bytes);
    expect(mine.answers).toEqual(records.map((r) => (r.type === 'TXT' ? { ...r, data: ['v=spf1 -all', 'x'.repeat(255), 'x'.repeat(45)] } : r)));
    const theirs = packet.decode(bytes);
    expect(theirs.questions?.[0]?.name).toBe('Www.Example.org'); // the question's case is echoed
    expect(theirs.answers?.map((a) => [a.name.toLowerCase(), a.type])).toEqual(records.map((r) => [r.name, r.type]));
    expect((theirs.answers?.[4] as { data: unknown }).data).toMatchObject({ target: 'web.example.org', port: 8080 });
  });

  it('compresses names: repeated owners cost two octets', () => {
    const w = new WireWriter();
    const many: DnsRecord[] = Array.from({ length: 10 }, (_, i) => ({ name: 'host.example.org', type: 'A', ttl: 1, data: `10.0.0.${i}` }));
    const spec = { id: 1, flags: 0, rcode: 0, question: { name: 'host.example.org', type: 1, qclass: 1 }, answers: many, authorities: [], additionals: [], edns: undefined, limit: 512 };
    const { bytes } = encodeResponse(w, spec);
    // header 12 + question (18 + 4) + 10 × (2 name + 10 fixed + 4 address)
    expect(bytes.length).toBe(12 + 22 + 10 * 16);
    expect(packet.decode(bytes).answers?.map((a) => (a as { data: unknown }).data)).toEqual(many.map((r) => r.data));
  });

  it('sets TC and leaves out the sections when the answer does not fit the UDP limit', () => {
    const w = new WireWriter();
    const big: DnsRecord[] = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}.example.org`, type: 'TXT', ttl: 1, data: ['y'.repeat(40)] }));
    const { bytes, truncated } = encodeResponse(w, {
      id: 9,
      flags: 0,
      rcode: 0,
      question: { name: 'example.org', type: 16, qclass: 1 },
      answers: big,
      authorities: [],
      additionals: [],
      edns: { udpSize: 1232, dnssecOk: true, options: extendedErrorOptions([{ infoCode: 3, extraText: 'stale' }]) },
      limit: 512,
    });
    expect(truncated).toBe(true);
    expect(bytes.length).toBeLessThanOrEqual(512);
    const decoded = decodeMessage(bytes);
    expect(decoded.flags & Flag.TC).toBe(Flag.TC);
    expect(decoded.answers).toHaveLength(0);
    expect(decoded.edns?.dnssecOk).toBe(true);
    expect(decoded.edns?.options[0]?.code).toBe(15);
  });

  it('writes forwarder queries dns-packet reads', () => {
    const w = new WireWriter();
    const bytes = encodeQuery(w, 77, { name: 'a.example', type: 28, qclass: 1 }, { recursionDesired: true, udpSize: 1232 });
    const decoded = packet.decode(bytes);
    expect(decoded).toMatchObject({ id: 77, questions: [{ name: 'a.example', type: 'AAAA' }] });
    expect(decoded.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });

  it('parses queries and says how to reject malformed ones', () => {
    const ok = parseQuery(query('A.Example', 'MX', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: packet.DNSSEC_OK } as packet.Answer] }));
    expect(ok).toMatchObject({ ok: true, query: { id: 4242, question: { name: 'a.example', type: 15, qclass: 1 }, edns: { udpSize: 4096, dnssecOk: true, version: 0 } } });
    expect(parseQuery(Buffer.alloc(5))).toMatchObject({ ok: false, reply: 'drop' });
    const response = query('a.example', 'A');
    response.writeUInt16BE(0x8000, 2);
    expect(parseQuery(response)).toMatchObject({ ok: false, reply: 'drop' });
    const notify = query('a.example', 'SOA');
    notify.writeUInt16BE(4 << 11, 2);
    expect(parseQuery(notify)).toMatchObject({ ok: false, reply: 'NOTIMP' });
    const two = query('a.example', 'A');
    two.writeUInt16BE(2, 4);
    expect(parseQuery(two)).toMatchObject({ ok: false, reply: 'FORMERR' });
    expect(parseQuery(Buffer.concat([query('a.example', 'A'), Buffer.from([1])]))).toMatchObject({ ok: false, reply: 'FORMERR' });
    const badvers = parseQuery(query('a.example', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, ednsVersion: 1 } as packet.Answer] }));
    expect(badvers).toMatchObject({ ok: false, reply: 'BADVERS' });
  });

  it('rejects compression loops, forward pointers, bad label types and overlong names', () => {
    const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseQuery(loop)).toMatchObject({ ok: false, reply: 'FORMERR', reason: expect.stringContaining('backwards') });
    const forward = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 97, 0, 0, 1, 0, 1]);
    expect(parseQuery(forward)).toMatchObject({ ok: false, reply: 'FORMERR' });
    const extended = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1]);
    expect(parseQuery(extended)).toMatchObject({ ok: false, reply: 'FORMERR', reason: expect.stringContaining('label type') });
    const labels = Buffer.concat([Buffer.alloc(12), Buffer.from(Array.from({ length: 5 }, () => [60, ...Buffer.alloc(60, 97)]).flat()), Buffer.from([0, 0, 1, 0, 1])]);
    labels.writeUInt16BE(1, 4);
    expect(parseQuery(labels)).toMatchObject({ ok: false, reply: 'FORMERR', reason: expect.stringContaining('255') });
  });

  it('escapes octets that cannot appear literally in a name', () => {
    const buf = Buffer.from([3, 0x41, 0x2e, 0x00, 1, 0x20, 0]);
    expect(readName(buf, 0, buf.length, nameCursor()).name).toBe('a\\.\\000.\\032');
    const w = new WireWriter();
    w.reset();
    w.name('a\\.\\000.\\032', true);
    expect(w.finish()).toEqual(Buffer.from([3, 0x61, 0x2e, 0x00, 1, 0x20, 0]));
    expect(normalizeName('WWW.Example.ORG.')).toBe('www.example.org');
    expect(normalizeName(`${'a'.repeat(64)}.org`)).toBeUndefined();
  });

  it('parses IPv4 text exactly like its regular-expression specification', () => {
    const samples = ['0.0.0.0', '255.255.255.255', '192.0.2.1', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', '', 'a.b.c.d', '1.2.3.4 ', '10.0.0.010'];
    for (let i = 0; i < 2000; i++) {
      const parts = Array.from({ length: 3 + (i % 3) }, (_, j) => String((i * 7919 + j * 104729) % 300).padStart(1 + ((i + j) % 3 === 0 ? 1 : 0), '0'));
      samples.push(parts.join('.'));
    }
    for (const text of samples) {
      const a = new Uint8Array(4);
      const b = new Uint8Array(4);
      const ok = writeIpv4(text, a, 0);
      expect(ok, text).toBe(writeIpv4Strict(text, b, 0));
      if (ok) expect(a).toEqual(b);
    }
  });

  it('writes canonical address text', () => {
    expect(canonicalAddress('2001:DB8:0:0:1:0:0:1')).toEqual({ family: 6, text: '2001:db8::1:0:0:1' });
    expect(canonicalAddress('::ffff:192.0.2.1')).toEqual({ family: 6, text: '::ffff:c000:201' });
    expect(canonicalAddress('192.0.2.300')).toBeUndefined();
  });
});
