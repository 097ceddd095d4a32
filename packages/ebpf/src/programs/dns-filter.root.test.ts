import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatapathEvent } from '@hypermesh/runtime';
import { formatAddress, parseAddress, parsePrefix } from '../policy/address.js';
import { validateDnsEntry } from '../policy/dns-cache.js';
import { RingBufferReader } from '../ringbuf/ring-buffer.js';
import { dnsQuery, parseResponse, udp6ChecksumValid, udpFrame } from '../testing/packets.js';
import { rootSkipReason } from '../testing/netns.js';
import { DnsFilterProgram, monotonicNs } from './dns-filter.js';
import { decodeDatapathRecord } from './events.js';

const skip = rootSkipReason();
if (skip) console.log(`skipping the dns_filter packet suite: ${skip}`);

const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const SERVER4 = '10.0.0.1';
const SERVER6 = '2001:db8::1';
const CLIENT4 = '10.0.0.2';
const CLIENT6 = '2001:db8::2';

// Packet-level behaviour of the XDP program through BPF_PROG_TEST_RUN: no interface or
// namespace, the kernel runs the program on the frames given and returns what it made of them.
describe.skipIf(!!skip)('dns_filter on single packets (BPF_PROG_TEST_RUN)', () => {
  let dns: DnsFilterProgram;
  let events: RingBufferReader<DatapathEvent>;
  beforeAll(() => {
    dns = DnsFilterProgram.load();
    events = new RingBufferReader(dns.events, { decode: (v, o, l) => decodeDatapathRecord(v, o, l, (ns) => Number(ns / 1_000_000n)) });
  });
  afterAll(() => {
    events?.close();
    dns?.close();
  });
  beforeEach(() => {
    dns.cache.clear();
    dns.blocklist.clear();
    dns.rateLimits.clear();
    dns.buckets.clear();
    dns.sources.raw.clear();
    dns.configure({ port: 53, answeredEventEvery: 1, blocking: false, rateLimiting: false });
    dns.addServer(parseAddress(SERVER4));
    dns.addServer(parseAddress(SERVER6));
    events.read();
    put('www.example.com', 'A', ['192.0.2.1', '192.0.2.2'], 300);
    put('www.example.com', 'AAAA', ['2001:db8::53'], 300);
  });

  const put = (name: string, type: 'A' | 'AAAA', addresses: string[], ttl: number, expiresAtNs?: bigint) => {
    const answer = validateDnsEntry({ name, type, addresses, ttl }, 0);
    dns.putAnswer(answer, expiresAtNs ?? monotonicNs() + BigInt(ttl) * 1_000_000_000n);
  };
  const query = (payload: Buffer, options: { src?: string; dst?: string; dstPort?: number } = {}) => {
    const v6 = (options.dst ?? SERVER4).includes(':');
    return udpFrame({ src: options.src ?? (v6 ? CLIENT6 : CLIENT4), dst: options.dst ?? SERVER4, srcPort: 40000, dstPort: options.dstPort ?? 53, payload });
  };
  const run = (frame: Buffer) => dns.object.program('dns_filter').testRun({ data: frame });

  it('answers a cached A query in place: addresses and ports swapped, lengths and IPv4 checksum fixed', () => {
    const payload = dnsQuery({ id: 0xbeef, name: 'www.example.com' });
    const frame = query(payload);
    const out = run(frame);
    expect(out.retval).toBe(XDP_TX);
    const r = parseResponse(out.data);
    expect(r).toMatchObject({ src: SERVER4, dst: CLIENT4, srcPort: 53, dstPort: 40000, ipChecksumValid: true, lengthsConsistent: true, udpChecksum: 0 });
    expect([r.ethDst, r.ethSrc]).toEqual([frame.subarray(6, 12).toString('hex'), frame.subarray(0, 6).toString('hex')]);
    expect(r.id).toBe(0xbeef);
    expect(r.flags).toBe(0x8180); // QR, RD copied, RA, NOERROR
    expect(r.counts).toEqual([1, 2, 0, 0]);
    expect(r.question).toEqual(payload.subarray(12));
    expect(r.answers.map((a) => [a.pointer, a.type, [...a.rdata].join('.')])).toEqual([
      [0xc00c, 1, '192.0.2.1'],
      [0xc00c, 1, '192.0.2.2'],
    ]);
    expect(r.answers[0]?.ttl).toBeGreaterThanOrEqual(299);
    expect(r.answers[0]?.ttl).toBeLessThanOrEqual(300);
    expect(dns.sourceStats().find(([a]) => formatAddress(a) === CLIENT4)?.[1]).toMatchObject({ queries: 1n, answered: 1n });
  });

  it('keeps the client spelling of the name (0x20) and answers EDNS queries with an OPT record', () => {
    const payload = dnsQuery({ name: 'www.example.com', spelling: 'WwW.eXaMpLe.CoM', edns: true });
    const out = run(query(payload));
    expect(out.retval).toBe(XDP_TX);
    const r = parseResponse(out.data);
    expect(r.question.toString('latin1')).toContain('WwW');
    expect(r.question).toEqual(payload.subarray(12, payload.length - 11));
    expect(r.counts).toEqual([1, 2, 0, 1]);
    expect(r.optPayload).toBe(1232);
  });

  it('answers AAAA over IPv6 with a valid UDP checksum', () => {
    const out = run(query(dnsQuery({ name: 'www.example.com', type: 28 }), { dst: SERVER6 }));
    expect(out.retval).toBe(XDP_TX);
    const r = parseResponse(out.data);
    expect(r).toMatchObject({ src: SERVER6, dst: CLIENT6, lengthsConsistent: true });
    expect(r.answers.map((a) => a.rdata.toString('hex'))).toEqual(['20010db8000000000000000000000053']);
    expect(r.udpChecksum).not.toBe(0);
    expect(udp6ChecksumValid(out.data)).toBe(true);
  });

  it('passes what it cannot answer unchanged: misses, expired entries, other types, names over 128 bytes', () => {
    const cases = [
      query(dnsQuery({ name: 'miss.example.com' })),
      query(dnsQuery({ name: 'www.example.com', type: 15 })), // MX
      query(dnsQuery({ name: `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com` })),
    ];
    put('old.example.com', 'A', ['192.0.2.9'], 60, monotonicNs() - 1n);
    cases.push(query(dnsQuery({ name: 'old.example.com' })));
    const before = dns.totals();
    for (const frame of cases) {
      const out = run(frame);
      expect(out.retval).toBe(XDP_PASS);
      expect(out.data).toEqual(frame);
    }
    const after = dns.totals();
    expect(after.passed - before.passed).toBe(4n);
    expect(after.cache_misses - before.cache_misses).toBe(1n); // MX and the long name fail before the lookup
    expect(after.cache_expired - before.cache_expired).toBe(1n);
  });

  it('passes unusual but valid queries to userspace: two questions, TC, opcode, compression, extra records', () => {
    const base = dnsQuery({ name: 'www.example.com' });
    const variant = (edit: (b: Buffer) => Buffer) => edit(Buffer.from(base));
    const frames = [
      variant((b) => (b.writeUInt16BE(2, 4), b)), // qdcount 2
      variant((b) => (b.writeUInt16BE(0x0300, 2), b)), // TC
      variant((b) => (b.writeUInt16BE(0x2100, 2), b)), // opcode 4 (NOTIFY)
      variant((b) => (b.writeUInt16BE(1, 8), b)), // nscount 1
      Buffer.concat([variant((b) => (b.writeUInt16BE(1, 10), b)), Buffer.from([0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0])]), // TSIG-like, not OPT
      Buffer.concat([base.subarray(0, 12), Buffer.from([3, 119, 119, 119, 0xc0, 12]), base.subarray(base.length - 4)]), // compressed qname
      Buffer.concat([base, Buffer.from([1, 2, 3])]), // trailing bytes
    ];
    for (const payload of frames) expect(run(query(payload)).retval).toBe(XDP_PASS);
  });

  it('leaves traffic to other addresses, ports and protocols alone', () => {
    const payload = dnsQuery({ name: 'www.example.com' });
    const before = dns.totals();
    expect(run(query(payload, { dst: '10.0.0.99' })).retval).toBe(XDP_PASS);
    expect(run(query(payload, { dstPort: 5353 })).retval).toBe(XDP_PASS);
    expect(dns.totals().dns_queries).toBe(before.dns_queries);
  });

  it('drops malformed queries: a header shorter than 12 bytes, a response sent to the server, a truncated frame', () => {
    const before = dns.totals();
    expect(run(query(Buffer.from([1, 2, 3]))).retval).toBe(XDP_DROP);
    const response = dnsQuery({ name: 'www.example.com' });
    response.writeUInt16BE(0x8180, 2);
    expect(run(query(response)).retval).toBe(XDP_DROP);
    // UDP says more bytes than the frame has: not a query this program touches
    const truncated = query(dnsQuery({ name: 'www.example.com' })).subarray(0, 60);
    expect(run(truncated).retval).toBe(XDP_PASS);
    // a name that runs past the end of the message
    const cut = dnsQuery({ name: 'www.example.com' }).subarray(0, 20);
    expect(run(query(cut)).retval).toBe(XDP_PASS);
    expect(dns.totals().malformed - before.malformed).toBe(2n);
    const drops = events.read().filter((e) => e.kind === 'dns-drop');
    expect(drops.map((e) => e.kind === 'dns-drop' && e.reason)).toEqual(['malformed', 'malformed']);
  });

  it('drops every packet from a blocked source until the block expires', () => {
    dns.configure({ blocking: true });
    dns.block(parseAddress(CLIENT4), monotonicNs() + 60_000_000_000n);
    dns.block(parseAddress('10.0.0.3'), monotonicNs() - 1n);
    expect(run(query(dnsQuery({ name: 'www.example.com' }))).retval).toBe(XDP_DROP);
    expect(run(udpFrame({ src: CLIENT4, dst: '10.9.9.9', srcPort: 1, dstPort: 2, payload: Buffer.alloc(8) })).retval).toBe(XDP_DROP);
    expect(run(query(dnsQuery({ name: 'www.example.com' }), { src: '10.0.0.3' })).retval).toBe(XDP_TX); // expired
    expect(dns.blocklist.lookup({ bytes: parseAddress(CLIENT4) })?.dropped).toBe(2n);
    const drops = events.read().filter((e) => e.kind === 'dns-drop');
    expect(drops).toEqual([
      expect.objectContaining({ source: CLIENT4, reason: 'blocked' }),
      expect.objectContaining({ source: CLIENT4, reason: 'blocked' }),
    ]);
  });

  it('rate-limits each source in a prefix with its own token bucket', () => {
    dns.configure({ rateLimiting: true });
    dns.setRateLimit(parsePrefix('10.0.0.0/24'), 1, 3);
    const frame = (src: string) => query(dnsQuery({ name: 'www.example.com' }), { src });
    const verdicts = Array.from({ length: 5 }, () => run(frame(CLIENT4)).retval);
    expect(verdicts).toEqual([XDP_TX, XDP_TX, XDP_TX, XDP_DROP, XDP_DROP]);
    expect(run(frame('10.0.0.7')).retval).toBe(XDP_TX); // its own bucket
    expect(run(frame('10.0.1.7')).retval).toBe(XDP_TX); // outside the prefix
    const sources = new Map(dns.sourceStats().map(([a, s]) => [formatAddress(a), s]));
    expect(sources.get(CLIENT4)).toMatchObject({ queries: 5n, answered: 3n, rate_limited: 2n });
    expect(sources.get('10.0.0.7')).toMatchObject({ queries: 1n, answered: 1n, rate_limited: 0n });
    expect(events.read().filter((e) => e.kind === 'dns-drop').length).toBe(2);
  });

  it('reports answered queries as events with the name and type', () => {
    run(query(dnsQuery({ name: 'www.example.com', spelling: 'WWW.example.com' })));
    run(query(dnsQuery({ name: 'www.example.com', type: 28 }), { dst: SERVER6 }));
    const answered = events.read().filter((e) => e.kind === 'dns-answered');
    expect(answered).toEqual([
      expect.objectContaining({ source: CLIENT4, name: 'www.example.com', type: 'A' }),
      expect.objectContaining({ source: CLIENT6, name: 'www.example.com', type: 'AAAA' }),
    ]);
    dns.configure({ answeredEventEvery: 0 });
    run(query(dnsQuery({ name: 'www.example.com' })));
    expect(events.read()).toEqual([]);
  });
});
