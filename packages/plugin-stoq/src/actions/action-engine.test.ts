import type { ThreatEvent } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { defaultStoqConfig } from '../config.js';
import { ActionEngine, type Finding } from './action-engine.js';
import { Enforcer } from './enforcer.js';
import { ProtectedSubjects } from './protected-subjects.js';

function setup() {
  const config = defaultStoqConfig({ policy: { ttl: 10_000, release_after: 5_000, allow_domains: ['corp.example'] } });
  const emitted: ThreatEvent[] = [];
  let id = 0;
  const enforcer = new Enforcer(undefined, config.policy.rate_limit_qps);
  const engine = new ActionEngine(config, enforcer, new ProtectedSubjects([], config.policy.allow_domains, []), { emit: (t) => emitted.push(t), nextId: () => `t${++id}` });
  const finding = (score: number, at: number, subject: ThreatEvent['subject'] = { domain: 'exfil.example' }): Finding => ({
    kind: 'tunnel',
    policy: 'tunnel',
    subject,
    score,
    at,
    reasons: () => [{ feature: 'x', value: score, weight: 1, explanation: 'test' }],
  });
  return { engine, enforcer, emitted, finding };
}

describe('action engine', () => {
  it('acts at act_at, holds through scores above release_below (hysteresis), lifts after quiet', () => {
    const { engine, enforcer, emitted, finding } = setup();
    engine.consider(finding(0.65, 0));
    expect(emitted).toEqual([]);
    engine.consider(finding(0.75, 1000));
    expect(emitted.map((t) => [t.action, t.subject.domain])).toEqual([['block', 'exfil.example']]);
    expect(enforcer.verdict('192.0.2.1', 'exfil.example', 1500)?.action).toBe('refuse');
    // hovering between 0.4 and 0.7 neither re-emits nor lifts
    for (let t = 2000; t < 30_000; t += 1000) {
      engine.consider(finding(0.5 + (t % 3000) / 30_000, t));
      engine.review(t);
    }
    expect(emitted).toHaveLength(1);
    expect(enforcer.verdict('192.0.2.1', 'exfil.example', 29_000)?.action).toBe('refuse'); // renewed past the first ttl
    // quiet: below release_below for release_after
    engine.consider(finding(0.1, 30_000));
    engine.review(33_500);
    expect(emitted).toHaveLength(1);
    engine.review(34_100);
    expect(emitted[1]).toMatchObject({ action: 'observe', lifts: 't1' });
    expect(enforcer.verdict('192.0.2.1', 'exfil.example', 34_200)).toBeUndefined();
    // a new attack opens a new incident
    engine.consider(finding(0.8, 40_000));
    expect(emitted[2]).toMatchObject({ id: 't3', action: 'block' });
  });

  it('only observes allow-listed subjects and recently released ones', () => {
    const { engine, emitted, finding } = setup();
    engine.consider(finding(0.9, 0, { domain: 'vpn.corp.example' }));
    expect(emitted[0]).toMatchObject({ action: 'observe' });
    expect(emitted[0]!.reasons.at(-1)!.explanation).toMatch(/corp\.example' is on the domain allow-list/);
    engine.consider(finding(0.9, 0));
    expect(engine.release('t2', 100)).toBe(true);
    expect(emitted[2]).toMatchObject({ lifts: 't2' });
    engine.consider(finding(0.9, 200));
    expect(emitted[3]).toMatchObject({ action: 'observe' });
    expect(emitted[3]!.reasons.at(-1)!.feature).toBe('released');
  });
});
