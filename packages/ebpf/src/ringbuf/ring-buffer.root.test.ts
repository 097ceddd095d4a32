import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../policy/address.js';
import { DnsFilterProgram, monotonicNs } from '../programs/dns-filter.js';
import { hmDnsEvent } from '../programs/layouts.js';
import { rootSkipReason } from '../testing/netns.js';
import { udpFrame } from '../testing/packets.js';
import { RingBufferReader } from './ring-buffer.js';

const skip = rootSkipReason();
if (skip) console.log(`skipping the ring buffer suite: ${skip}`);

// Events are produced for real by the kernel: dns_filter writes one record per packet from a
// blocked source, and BPF_PROG_TEST_RUN feeds it packets without any interface.
describe.skipIf(!!skip)('ring buffer reader', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  const setup = (readerOptions: { highWaterMark?: number; batchSize?: number } = {}) => {
    const dns = DnsFilterProgram.load();
    cleanups.push(() => dns.close());
    dns.configure({ port: 53, blocking: true });
    dns.block(parseAddress('10.0.0.66'), monotonicNs() + 600_000_000_000n);
    const frame = (n: number) => udpFrame({ src: '10.0.0.66', dst: '10.0.0.1', srcPort: n, dstPort: 9, payload: Buffer.alloc(4) });
    const produce = (count: number, from = 0) => {
      const program = dns.object.program('dns_filter');
      for (let i = 0; i < count; i++) program.testRun({ data: frame(from + i) });
    };
    const reader = new RingBufferReader(dns.events, {
      decode: (view, offset) => ({ source: hmDnsEvent.read(view, offset).saddr.bytes[15], at: hmDnsEvent.read(view, offset).at_ns }),
      ...readerOptions,
    });
    cleanups.push(() => reader.close());
    return { dns, reader, produce };
  };

  it('yields records in order as an async iterator and ends when closed', async () => {
    const { reader, produce } = setup();
    produce(50);
    const seen: bigint[] = [];
    for await (const record of reader) {
      expect(record.source).toBe(66);
      seen.push(record.at);
      if (seen.length === 50) break;
    }
    expect([...seen].sort((a, b) => (a < b ? -1 : 1))).toEqual(seen);
    const iterator = reader[Symbol.asyncIterator]();
    const pending = iterator.next();
    reader.close();
    expect((await pending).done).toBe(true);
  });

  it('applies back-pressure: stops reading while the consumer is behind, and the kernel counts what it could not write', async () => {
    const { dns, reader, produce } = setup({ highWaterMark: 100, batchSize: 64 });
    const capacity = Math.floor(dns.events.info.maxEntries / (hmDnsEvent.size + 8));
    const iterator = reader[Symbol.asyncIterator]();
    const first = iterator.next(); // start reading, then fill the ring past its size
    produce(capacity + 500);
    await first;
    await new Promise((r) => setTimeout(r, 300));
    const stats = reader.stats();
    expect(stats.paused).toBe(true);
    expect(stats.pending).toBeLessThanOrEqual(100);
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    const lost = dns.totals().events_lost;
    expect(lost).toBeGreaterThan(0n);
    // draining resumes reading; every record written arrives
    let received = 1;
    const total = capacity + 500 - Number(lost);
    while (received < total) {
      await iterator.next();
      received++;
    }
    expect(reader.unreadBytes).toBe(0);
    expect(reader.stats().received).toBe(total);
    await iterator.return?.();
  });

  it('never blocks the event loop: timers run between batches', async () => {
    const { reader, produce } = setup({ batchSize: 16, highWaterMark: 100_000 });
    produce(1_000, 1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    cleanups.push(() => clearInterval(timer));
    let n = 0;
    const ticksAtStart = ticks;
    for await (const _ of reader) if (++n === 1_000) break;
    expect(ticks - ticksAtStart).toBeGreaterThan(3);
  });

  it('reads synchronously on demand with read()', () => {
    const { reader, produce } = setup();
    produce(10);
    expect(reader.read(4).length).toBe(4);
    expect(reader.read().length).toBe(6);
    expect(reader.read()).toEqual([]);
  });
});
