import type { NodeSuspicion } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { FaultDetector } from './fault-detector.js';
import { Reputation, severityOf } from './reputation.js';
import { SlowPrimaryMonitor } from './slow-primary.js';

function detector(options: { primary?: string; f?: number; isolation?: boolean } = {}) {
  let now = 0;
  const suspicions: NodeSuspicion[] = [];
  const viewChanges: string[] = [];
  const d = new FaultDetector({
    self: 'r0',
    replicas: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'],
    f: options.f ?? 2,
    enabled: true,
    isolation: options.isolation ?? true,
    halfLifeMs: 1000,
    now: () => now,
    isPrimary: (id) => id === (options.primary ?? 'r1'),
    requestViewChange: (id) => viewChanges.push(id),
    onSuspicion: (s) => suspicions.push(s),
  });
  return { d, suspicions, viewChanges, advance: (ms: number) => (now += ms) };
}

describe('reputation', () => {
  it('drops with evidence and recovers with the half-life', () => {
    const r = new Reputation(0, 1000);
    expect(r.penalize(0.5, 0)).toBe(0.5);
    expect(r.value(1000)).toBeCloseTo(0.75);
    expect(r.value(2000)).toBeCloseTo(0.875);
    expect(r.penalize(0.9, 2000, 0.25)).toBe(0.25);
  });

  it('maps reputation to severity', () => {
    expect([0.9, 0.7, 0.5, 0.3, 0.1].map(severityOf)).toEqual([undefined, 'low', 'medium', 'high', 'critical']);
  });
});

describe('fault detector', () => {
  it('equivocation isolates at once and, for the primary, asks for a view change', () => {
    const { d, suspicions, viewChanges } = detector();
    d.report('r1', 'equivocation', 'two PRE-PREPAREs for view 0, seq 3');
    expect(d.isIsolated('r1')).toBe(true);
    expect(d.state('r1')).toBe('isolated');
    expect(viewChanges).toEqual(['r1']);
    expect(suspicions.map((s) => s.action)).toEqual(['isolate', 'view-change']);
    expect(suspicions[0]).toMatchObject({ nodeId: 'r1', severity: 'critical', reputation: 0 });
    expect(suspicions[0]!.reasons[0]).toContain('equivocation');
  });

  it('escalates watch → penalty → view change as evidence piles up', () => {
    const { d, suspicions, viewChanges, advance } = detector();
    for (let i = 0; i < 6; i++) {
      d.report('r1', 'invalid-signature', `bad signature ${i}`);
      advance(20);
    }
    expect(suspicions.map((s) => s.action).slice(0, 3)).toEqual(['watch', 'penalty', 'view-change']);
    expect(viewChanges).toEqual(['r1']);
  });

  it('never isolates more than f nodes, nor itself', () => {
    const { d } = detector({ f: 2 });
    for (const id of ['r2', 'r3', 'r4', 'r0']) d.report(id, 'equivocation', 'proof');
    expect(d.isolated()).toEqual(['r2', 'r3']);
    expect(d.isIsolated('r4')).toBe(false);
    expect(d.reputation('r0')).toBe(1);
  });

  it('performance evidence alone never reaches critical', () => {
    const { d, advance } = detector({ primary: 'none' });
    for (let i = 0; i < 40; i++) {
      d.report('r2', 'slow-primary', 'slow');
      advance(20);
    }
    expect(d.reputation('r2')).toBeGreaterThanOrEqual(0.2);
    expect(d.isIsolated('r2')).toBe(false);
  });

  it('releases an isolated node once its reputation recovers', () => {
    const { d, advance } = detector();
    d.report('r3', 'equivocation', 'proof');
    expect(d.isIsolated('r3')).toBe(true);
    advance(1500);
    d.tick();
    expect(d.isIsolated('r3')).toBe(false);
  });

  it('counts repeated evidence of one kind at most once per 10 ms', () => {
    const { d } = detector();
    d.report('r2', 'malformed', 'x');
    const once = d.reputation('r2');
    d.report('r2', 'malformed', 'x');
    expect(d.reputation('r2')).toBe(once);
  });
});

describe('slow primary monitor', () => {
  it('compares the primary with what other primaries achieved', () => {
    const m = new SlowPrimaryMonitor({ factor: 4, marginMs: 20, batchTimeoutMs: 2 });
    for (let i = 0; i < 8; i++) m.observeOrdering('fast', 5);
    m.endTerm('fast');
    for (let i = 0; i < 8; i++) m.observeOrdering('slow', 60);
    expect(m.verdict('slow')).toMatch(/orders requests in 60\.0 ms/);
    for (let i = 0; i < 8; i++) m.observeOrdering('ok', 8);
    expect(m.verdict('ok')).toBeUndefined();
  });

  it('without history, compares with the batch timeout and the backups’ response time', () => {
    const m = new SlowPrimaryMonitor({ factor: 4, marginMs: 20, batchTimeoutMs: 2 });
    for (let i = 0; i < 8; i++) m.observeResponse(3);
    for (let i = 0; i < 7; i++) m.observeOrdering('p', 100);
    expect(m.verdict('p')).toBeUndefined(); // too few samples
    m.observeOrdering('p', 100);
    expect(m.verdict('p')).toBeDefined();
  });
});
