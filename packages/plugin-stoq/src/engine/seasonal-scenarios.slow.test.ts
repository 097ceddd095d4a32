import { createRandom, type DnsObservation } from '@hypermesh/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { ForestTrainer } from '../forest/forest-trainer.js';
import { EventSource, harness, merge } from '../testing/replay.js';
import { normalTraffic, randomLabel } from '../testing/traffic.js';

// Day-long scenarios on a simulated clock: the seasonal model learns the daily rhythm on day one,
// then must stay silent through a normal day and catch a sudden shift of the total rate.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const clients = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);

describe('seasonal scenarios', () => {
  const trainer = new ForestTrainer();
  afterAll(() => trainer.close());

  it('raises nothing during a normal day (after a day of learning), isolation forests included', async () => {
    const seed = 'normal-day-1';
    const h = harness({ forest: { retrain_every: 100 * DAY } }, { trainer, tickMs: 10_000 });
    const events = new EventSource(normalTraffic(createRandom(seed), clients('10.5.0', 20), 0, 2 * DAY, 0.03));
    for (let hour = 1; hour <= 48; hour++) {
      await h.replay(events, hour * HOUR);
      await h.engine.retrain(); // hourly, at fixed simulated times
    }
    const status = h.engine.modelStatus();
    console.log(`[normal day] seed ${seed}: ${h.threats.length} threats over 2 days; forest trained on ${status.trainingSamples} samples; highest scores ${JSON.stringify(h.engine.scores(3))}`);
    expect(status.anomalyTrainedAt).toBeDefined();
    expect(h.threats).toEqual([]);
  }, 120_000);

  it('the isolation forest singles out a client whose behaviour no detector covers', async () => {
    const seed = 'outlier-1';
    const h = harness({ forest: { retrain_every: 100 * DAY, min_rows: 200 } }, { trainer, tickMs: 10_000 });
    const events = new EventSource(normalTraffic(createRandom(seed), clients('10.8.0', 40), 0, 2 * HOUR, 0.05));
    await h.replay(events, HOUR);
    await h.engine.retrain();
    expect(h.engine.modelStatus().anomalyTrainedAt).toBeDefined();
    // a client unusual in several ways at once, none crossing a detector's threshold: a query a
    // second, each for a different name and domain, TXT, mostly NXDOMAIN, fairly large answers
    const random = createRandom(`${seed}/odd`);
    const odd: DnsObservation[] = Array.from({ length: 240 }, (_, i) => ({
      kind: 'dns',
      at: HOUR + 1000 + i * 1000,
      client: '10.8.9.9',
      name: `${randomLabel(random, 6)}.${randomLabel(random, 7)}-cloud.com`,
      type: 'TXT',
      rcode: random.chance(0.8) ? 'NXDOMAIN' : 'NOERROR',
      responseSize: 900,
    }));
    await h.replay(merge(odd, events), 2 * HOUR);
    const found = h.threats.find((t) => t.kind === 'anomaly' && t.subject.client === '10.8.9.9');
    const others = h.threats.filter((t) => t.subject.client !== undefined && t.subject.client !== '10.8.9.9');
    const ranking = h.engine.scores(3).clients;
    console.log(
      `[isolation forest] seed ${seed}: top clients ${JSON.stringify(ranking.map((c) => [c.subject, c.score]))}; ` +
        `odd client ${found ? `flagged after ${((found.detectedAt - HOUR - 1000) / 1000).toFixed(0)} s (${found.reasons[0]!.explanation})` : 'not over the threshold'}; other clients flagged: ${others.length}`,
    );
    // the forest ranks it first, clearly above every normal client; no other client is acted on
    expect(ranking[0]?.subject).toBe('10.8.9.9');
    expect(ranking[0]!.score - (ranking[1]?.score ?? 0)).toBeGreaterThan(0.15);
    expect(others).toEqual([]);
  }, 60_000);

  it('detects a sudden shift of the daily pattern, and not the daily rhythm itself', async () => {
    const seed = 'diurnal-shift-1';
    const h = harness({}, { tickMs: 60_000 });
    const shiftAt = 2 * DAY + 14 * HOUR;
    const base = normalTraffic(createRandom(seed), clients('10.6.0', 20), 0, 3 * DAY, 0.03);
    const extra = normalTraffic(createRandom(`${seed}/extra`), clients('10.7.0', 25), shiftAt, 3 * DAY, 0.03);
    await h.replay(merge(base, extra), 3 * DAY);
    const shifts = h.threats.filter((t) => t.kind === 'anomaly' && t.subject.client === undefined && t.subject.domain === undefined && t.lifts === undefined);
    const before = shifts.filter((t) => t.detectedAt < shiftAt);
    const after = shifts.find((t) => t.detectedAt >= shiftAt);
    const ttd = after === undefined ? Infinity : after.detectedAt - shiftAt;
    console.log(`[diurnal shift] seed ${seed}: time to detect ${after ? `${(ttd / 60_000).toFixed(0)} min` : 'never'}; alarms before the shift: ${before.length}; ${after?.reasons[0]?.explanation ?? ''}`);
    expect(before).toEqual([]);
    expect(ttd).toBeLessThanOrEqual(30 * 60_000);
  }, 120_000);
});
