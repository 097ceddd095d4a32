import { createRandom, type DnsObservation, type ThreatEvent } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { harness, merge } from '../testing/replay.js';
import { benignQuery, dgaName, nextArrival, normalTraffic, randomLabel, tunnelName } from '../testing/traffic.js';

// Stream scenarios: seeded synthetic traffic on a simulated clock. Each attack must be detected
// within a bound (time-to-detect is printed), and normal traffic must raise nothing.

const clients = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);

/** Queries of one client at `rate` q/s between `from` and `to`, built by `make`. */
function* steady(seed: string, from: number, to: number, rate: number, make: (random: ReturnType<typeof createRandom>, at: number) => DnsObservation): Generator<DnsObservation> {
  const random = createRandom(seed);
  for (let at = nextArrival(random, from, rate); at < to; at = nextArrival(random, at, rate)) yield make(random, at);
}

function firstOf(threats: readonly ThreatEvent[], kind: ThreatEvent['kind'], match: (t: ThreatEvent) => boolean = () => true): ThreatEvent | undefined {
  return threats.find((t) => t.kind === kind && t.lifts === undefined && match(t));
}

function reportDetection(name: string, seed: string, start: number, threat: ThreatEvent | undefined): number {
  const ttd = threat === undefined ? Number.POSITIVE_INFINITY : threat.detectedAt - start;
  console.log(`[${name}] seed ${seed}: time to detect ${threat === undefined ? 'never' : `${(ttd / 1000).toFixed(1)} s`} (${threat?.kind ?? '-'} → ${threat?.action ?? '-'}, score ${threat?.score ?? '-'})`);
  return ttd;
}

describe('stream scenarios', () => {
  it('detects a DNS tunnel session among normal clients', async () => {
    const seed = 'tunnel-1';
    const h = harness();
    const start = 300_000;
    const normal = normalTraffic(createRandom(seed), clients('10.1.0', 20), 0, 600_000, 0.2);
    const tunnel = steady(`${seed}/t`, start, 600_000, 4, (r, at) => ({
      kind: 'dns',
      at,
      client: '10.1.9.66',
      name: tunnelName(r, 't.exfil-tunnel.net'),
      type: r.pick(['TXT', 'NULL', 'A']),
      rcode: 'NOERROR',
      responseSize: 200 + r.int(800),
    }));
    await h.replay(merge(normal, tunnel), 600_000);
    const found = firstOf(h.threats, 'tunnel', (t) => t.subject.domain === 'exfil-tunnel.net');
    expect(reportDetection('tunnel', seed, start, found)).toBeLessThanOrEqual(10_000);
    expect(found!.action).toBe('block');
    expect(found!.reasons.map((r) => r.feature)).toContain('tunnel_names');
    expect(h.threats.filter((t) => t.subject.domain !== 'exfil-tunnel.net' && t.subject.client !== '10.1.9.66')).toEqual([]);
  });

  it('detects a slow TXT tunnel whose names are each too short to flag', async () => {
    const seed = 'txt-tunnel-1';
    const h = harness();
    const start = 120_000;
    const normal = normalTraffic(createRandom(seed), clients('10.1.1', 20), 0, 300_000, 0.2);
    const tunnel = steady(`${seed}/t`, start, 300_000, 2, (r, at) => ({
      kind: 'dns',
      at,
      client: '10.1.9.67',
      name: `${randomLabel(r, 10, '0123456789abcdef')}.c.quiet-sync.net`,
      type: 'TXT',
      rcode: 'NOERROR',
      responseSize: 250,
    }));
    await h.replay(merge(normal, tunnel), 300_000);
    const found = firstOf(h.threats, 'tunnel', (t) => t.subject.domain === 'quiet-sync.net');
    expect(reportDetection('txt tunnel', seed, start, found)).toBeLessThanOrEqual(30_000);
    expect(found!.reasons[0]!.feature).toBe('txt_null_queries');
    expect(h.threats.filter((t) => t.subject.domain !== 'quiet-sync.net')).toEqual([]);
  });

  it('does not mistake many distinct ordinary subdomains (CDN shards) for a tunnel', async () => {
    const seed = 'shards-1';
    const h = harness();
    const shards = steady(seed, 0, 300_000, 50, (r, at) => ({
      kind: 'dns',
      at,
      client: `10.8.0.${r.int(200)}`,
      name: `img${r.int(2000)}.static.shop-images.com`,
      type: 'A',
      rcode: 'NOERROR',
      responseSize: 90,
    }));
    await h.replay(shards, 300_000);
    console.log(`[cdn shards] seed ${seed}: ${h.threats.length} threats; top domain ${JSON.stringify(h.engine.scores(1).domains)}`);
    expect(h.threats).toEqual([]);
  });

  it('detects a random-subdomain (water torture) flood against one domain', async () => {
    const seed = 'water-torture-1';
    const h = harness();
    const start = 300_000;
    const resolvers = clients('198.51.100', 50);
    const normal = normalTraffic(createRandom(seed), clients('10.2.0', 20), 0, 420_000, 0.2);
    const flood = steady(`${seed}/w`, start, 420_000, 100, (r, at) => ({
      kind: 'dns',
      at,
      client: r.pick(resolvers),
      name: `${randomLabel(r, 6 + r.int(11), 'abcdefghijklmnopqrstuvwxyz0123456789')}.victim-shop.com`,
      type: 'A',
      rcode: 'NXDOMAIN',
      responseSize: 120,
    }));
    await h.replay(merge(normal, flood), 420_000);
    const found = firstOf(h.threats, 'water-torture', (t) => t.subject.domain === 'victim-shop.com');
    expect(reportDetection('water torture', seed, start, found)).toBeLessThanOrEqual(10_000);
    expect(found!.action).toBe('rate-limit');
    expect(firstOf(h.threats, 'tunnel')).toBeUndefined();
  });

  it('detects a per-client query flood', async () => {
    const seed = 'flood-1';
    const h = harness();
    const start = 300_000;
    const normal = normalTraffic(createRandom(seed), clients('10.3.0', 20), 0, 360_000, 0.2);
    const flood = steady(`${seed}/f`, start, 360_000, 400, (r, at) => benignQuery(r, '10.3.9.9', at));
    await h.replay(merge(normal, flood), 360_000);
    const found = firstOf(h.threats, 'query-flood', (t) => t.subject.client === '10.3.9.9');
    expect(reportDetection('query flood', seed, start, found)).toBeLessThanOrEqual(5_000);
    expect(found!.action).toBe('rate-limit');
    expect(h.threats.filter((t) => t.subject.client !== '10.3.9.9')).toEqual([]);
  });

  it('detects amplification attempts: ANY queries from one (spoofed) source', async () => {
    const seed = 'amplification-1';
    const h = harness();
    const start = 120_000;
    const normal = normalTraffic(createRandom(seed), clients('10.9.0', 20), 0, 240_000, 0.2);
    const any = steady(`${seed}/a`, start, 240_000, 2, (r, at) => ({ kind: 'dns', at, client: '203.0.113.66', name: 'example-zone.org', type: 'ANY', rcode: 'NOERROR', responseSize: 3000 + r.int(1000) }));
    await h.replay(merge(normal, any), 240_000);
    const found = firstOf(h.threats, 'amplification', (t) => t.subject.client === '203.0.113.66');
    expect(reportDetection('amplification', seed, start, found)).toBeLessThanOrEqual(15_000);
    expect(found!.reasons.map((r) => r.feature)).toEqual(expect.arrayContaining(['any_queries', 'amplification_factor']));
    expect(h.threats.filter((t) => t.subject.client !== '203.0.113.66')).toEqual([]);
  });

  it('finds the DGA-infected client among normal clients', async () => {
    const seed = 'dga-1';
    const h = harness();
    const start = 300_000;
    const normal = normalTraffic(createRandom(seed), clients('10.4.0', 30), 0, 900_000, 0.2);
    const infected = steady(`${seed}/d`, start, 900_000, 1 / 3, (r, at) => ({ kind: 'dns', at, client: '10.4.0.17', name: dgaName(r), type: 'A', rcode: 'NXDOMAIN', responseSize: 110 }));
    await h.replay(merge(normal, infected), 900_000);
    const found = firstOf(h.threats, 'dga', (t) => t.subject.client === '10.4.0.17');
    expect(reportDetection('dga client', seed, start, found)).toBeLessThanOrEqual(90_000);
    expect(found!.action).toBe('alert');
    expect(h.threats.filter((t) => t.subject.client !== '10.4.0.17')).toEqual([]);
  });
});
