import { expect, it } from 'vitest';
import { runRandomScenario } from './random-scenario.js';

// A few seeds in the fast suite, so the scenario generator itself is checked on every change.
it('a handful of random scenarios pass and cover view changes and state transfer', async () => {
  const seen = { viewsInstalled: 0, stateTransfers: 0, checkpoints: 0 };
  for (const seed of ['1', '29', '101', '158']) {
    const d = await runRandomScenario(seed);
    seen.viewsInstalled += d.totals.viewsInstalled;
    seen.stateTransfers += d.totals.stateTransfers;
    seen.checkpoints += d.totals.checkpoints;
  }
  expect(seen.checkpoints).toBeGreaterThan(0);
  expect(seen.viewsInstalled).toBeGreaterThan(0);
});
