import type { DnsQueryEvent } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { harness } from '../testing/replay.js';

// Input from outside is parsed at the edge: a malformed event is counted and dropped, never a
// crash, and nothing of it reaches the models.

const good = (at: number, client = '192.0.2.1', name = 'www.example.org') => ({ kind: 'dns', at, client, name, type: 'A', rcode: 'NOERROR', responseSize: 80 }) as const;

describe('bad input', () => {
  it('drops malformed events with a counted reason and keeps serving', () => {
    const h = harness();
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'dns',
      [],
      {},
      { kind: 'mystery', at: 1 },
      { ...good(1), at: Number.NaN },
      { ...good(1), at: Number.POSITIVE_INFINITY },
      { ...good(1), at: -5 },
      { ...good(1), client: '' },
      { ...good(1), client: 7 },
      { ...good(1), name: 17 },
      { ...good(1), name: '' },
      { ...good(1), name: 'a..b' },
      { ...good(1), name: 'x'.repeat(255) },
      { ...good(1), name: `${'a'.repeat(64)}.com` },
      { ...good(1), type: 'a lot' },
      { ...good(1), rcode: 'MAYBE' },
      { ...good(1), responseSize: Number.NaN },
      { ...good(1), responseSize: -1 },
      { ...good(1), responseSize: 1e9 },
      { kind: 'flow', at: 1, source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, protocol: 6, packets: Number.NaN, bytes: 10 },
      { kind: 'flow', at: 1, source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 70000, destinationPort: 2, protocol: 6, packets: 1, bytes: 10 },
      { kind: 'flow', at: 1, source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, protocol: 6, packets: 1, bytes: Number.POSITIVE_INFINITY },
    ];
    for (const event of bad) expect(() => h.engine.observe(event)).not.toThrow();
    const dropped = Object.fromEntries(h.engine.counters.dropped);
    expect(Object.values(dropped).reduce((a, b) => a + b, 0)).toBe(bad.length);
    expect(dropped).toMatchObject({ 'not-an-event': 7, 'bad-time': 3, 'bad-client': 2, 'bad-name': 5, 'bad-type': 2, 'bad-size': 3, 'bad-flow': 3 });
    expect(h.engine.counters.events).toEqual({ dns: 0, flow: 0, answers: 0 });

    h.engine.observe(good(10));
    expect(h.engine.counters.events.dns).toBe(1);
    expect(h.engine.tracked().clients).toBe(1);
  });

  it('handles edge names: 255 octets on the wire, non-ASCII, escapes — as names, not crashes', () => {
    const h = harness();
    const max = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    for (const name of [max, 'bücher.example', '😀.example', 'xn--bcher-kva.example', 'a\\000b.example', 'EXAMPLE.ORG.', '_dmarc.example.com']) {
      h.engine.observe(good(5, '192.0.2.2', name));
    }
    expect(h.engine.counters.events.dns).toBe(7);
    expect(h.engine.counters.dropped.size).toBe(0);
  });

  it('the dns.query tap survives malformed query events', () => {
    const h = harness();
    const broken: unknown[] = [null, {}, { client: 'x' }, { client: '1.2.3.4', question: null, receivedAt: 1 }, { client: '1.2.3.4', question: { name: 5, type: 'A' }, receivedAt: 1 }, { client: '1.2.3.4', question: { name: 'a.b', type: 'A' }, receivedAt: Number.NaN }];
    for (const q of broken) expect(h.engine.observeQuery(q as DnsQueryEvent)).toBeUndefined();
    expect(h.engine.counters.dropped.get('not-an-event')).toBe(broken.length);
    expect(() => h.engine.observeAnswer(null as never)).not.toThrow();
  });

  it('non-finite flow values never reach the flow models or the forests', () => {
    const h = harness();
    for (let i = 0; i < 200; i++) {
      h.engine.observe({ kind: 'flow', at: i * 10, source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, protocol: 17, packets: 1, bytes: 200, packetSize: 200 });
      h.engine.observe({ kind: 'flow', at: i * 10 + 5, source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1, destinationPort: 2, protocol: 17, packets: Number.NaN, bytes: Number.POSITIVE_INFINITY });
    }
    const model = h.engine.flowModel('17 10.0.0.1:1 > 10.0.0.2:2')!;
    for (const v of [model.statistics.packetRate, model.statistics.byteRate, model.statistics.jitterMs, model.statistics.interArrival.meanMs]) expect(Number.isFinite(v)).toBe(true);
    expect(model.statistics.bytes).toBe(200 * 200);
  });

  it('a custom detector that throws is counted and skipped', () => {
    const h = harness();
    h.engine.addDetector({
      name: 'broken',
      kind: 'anomaly',
      inspect: () => {
        throw new Error('boom');
      },
    });
    h.engine.addDetector({ name: 'silly', kind: 'anomaly', inspect: () => ({ subject: { client: 'x' }, score: Number.NaN, reasons: [] }) });
    expect(() => h.engine.observe(good(1))).not.toThrow();
    expect(h.engine.counters.detectorErrors.get('broken')).toBe(1);
    expect(h.threats).toEqual([]);
  });
});
