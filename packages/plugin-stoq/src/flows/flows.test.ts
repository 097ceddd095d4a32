import type { FlowObservation } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { CongestionDetector } from './congestion.js';
import { FlowStatsTracker } from './flow-stats.js';
import { FlowTable, flowKey } from './flow-table.js';
import { recommendQos } from './qos.js';

const packet = (at: number, size: number, overrides: Partial<FlowObservation> = {}): FlowObservation => ({
  kind: 'flow',
  at,
  source: '10.0.0.1',
  destination: '10.0.0.2',
  sourcePort: 40000,
  destinationPort: 5004,
  protocol: 17,
  packets: 1,
  bytes: size,
  packetSize: size,
  ...overrides,
});

describe('flow statistics', () => {
  it('a constant-rate stream has zero jitter, its rates and sizes, and no loss', () => {
    const flow = new FlowStatsTracker(1000, 1000);
    for (let i = 0; i < 500; i++) flow.observe(packet(i * 20, 160));
    const s = flow.statistics(500 * 20);
    expect(s.jitterMs).toBeCloseTo(0, 6);
    expect(s.packetRate).toBeGreaterThan(45);
    expect(s.packetRate).toBeLessThan(51);
    expect(s.byteRate).toBeCloseTo(s.packetRate * 160, 0);
    expect(s.packetSizeDistribution[2]).toBe(1); // 128 < 160 ≤ 256
    expect(s.interArrival.meanMs).toBeCloseTo(20, 3);
    expect(s.lossRate).toBe(0);
  });

  it('RFC 3550 jitter converges to the mean absolute change of the gap', () => {
    const flow = new FlowStatsTracker(1000, 1000);
    let at = 0;
    for (let i = 0; i < 2000; i++) {
      at += i % 2 === 0 ? 15 : 25; // gaps alternate: |D| = 10 ms every packet
      flow.observe(packet(at, 200));
    }
    expect(flow.statistics(at).jitterMs).toBeCloseTo(10, 3);
  });

  it('estimates loss from gaps in a packet-by-packet stream', () => {
    const flow = new FlowStatsTracker(5000, 1000);
    let sent = 0;
    let received = 0;
    for (let i = 0; i < 1000; i++) {
      sent++;
      if (i % 20 === 10) continue; // every 20th packet lost: 5 %
      flow.observe(packet(i * 10, 100));
      received++;
    }
    const loss = flow.statistics(10_000).lossRate!;
    console.log(`loss estimate ${(loss * 100).toFixed(2)} % (true ${(((sent - received) / sent) * 100).toFixed(2)} %)`);
    expect(loss).toBeGreaterThan(0.04);
    expect(loss).toBeLessThan(0.06);
  });
});

describe('flow table', () => {
  it('keeps bounded state, predicts bandwidth with AR(p), recommends QoS', () => {
    const table = new FlowTable({ maxFlows: 3, tauMs: 2000, intervalMs: 1000, arOrder: 2, capacityBytesPerSecond: 0 });
    for (let i = 0; i < 3000; i++) table.observe(packet(i * 20, 180));
    for (let port = 1; port <= 5; port++) table.observe(packet(60_000, 1500, { sourcePort: port, protocol: 6, destinationPort: 443 }));
    expect(table.size()).toEqual({ tracked: 3, evicted: 3 });
    const table2 = new FlowTable({ maxFlows: 10, tauMs: 2000, intervalMs: 1000, arOrder: 2, capacityBytesPerSecond: 0 });
    for (let i = 0; i < 3000; i++) table2.observe(packet(i * 20, 180));
    const model = table2.model(flowKey(packet(0, 0)), 60_000)!;
    expect(model.bandwidthPrediction!.bytesPerSecond).toBeCloseTo(50 * 180, -2);
    expect(model.qos.trafficClass).toBe('realtime');
    expect(model.qos.dscp).toBe(46);
  });

  it('classifies bulk, DNS and unremarkable flows', () => {
    const stats = (sizes: number[], byteRate: number, meanMs: number, stdMs: number) => ({
      packetRate: 100,
      byteRate,
      packetSizeDistribution: sizes,
      interArrival: { meanMs, stdMs },
      jitterMs: 1,
      lossRate: undefined,
      packets: 1000,
      bytes: 1_000_000,
    });
    expect(recommendQos(stats([0, 0, 0, 0, 0, 1, 0], 1_000_000, 1, 1), { predictedUpperBytesPerSecond: 1e6, destinationPort: 443, protocol: 6 }).trafficClass).toBe('bulk');
    expect(recommendQos(stats([1, 0, 0, 0, 0, 0, 0], 5000, 10, 20), { predictedUpperBytesPerSecond: 0, destinationPort: 53, protocol: 17 }).dscp).toBe(18);
    expect(recommendQos(stats([0, 0, 0, 1, 0, 0, 0], 5000, 10, 20), { predictedUpperBytesPerSecond: 0, destinationPort: 8080, protocol: 6 }).trafficClass).toBe('best-effort');
  });
});

describe('congestion detector', () => {
  it('reports utilisation of a known capacity and a sustained rise of jitter', () => {
    const detector = new CongestionDetector(1_000_000);
    expect(detector.update({ bytesPerSecond: 100_000, jitterMs: 1 }).probability).toBe(0);
    expect(detector.update({ bytesPerSecond: 950_000, jitterMs: 1 }).probability).toBe(1);
    const jittery = new CongestionDetector();
    for (let i = 0; i < 30; i++) jittery.update({ bytesPerSecond: 1000, jitterMs: 1 + (i % 3) * 0.1 });
    let assessment = jittery.update({ bytesPerSecond: 1000, jitterMs: 5 });
    for (let i = 0; i < 10 && assessment.probability === 0; i++) assessment = jittery.update({ bytesPerSecond: 1000, jitterMs: 5 });
    expect(assessment.probability).toBeGreaterThan(0.5);
    expect(assessment.reasons.join(' ')).toMatch(/jitter rose/);
    expect(jittery.update({ bytesPerSecond: 1000, jitterMs: 1, lossRate: 0.1 }).reasons.join(' ')).toMatch(/loss 10.0 %/);
  });
});
