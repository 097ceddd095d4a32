import { expect, it } from 'vitest';
import { runScenarios } from './random-scenario.js';

// Half of the 1,000 seeded random scenarios (the other half is in random-b.slow.test.ts, so the
// two halves run in parallel). A failure names its seed; replay it with PBFT_SEEDS=<seed>.
it('seeded random scenarios 0–499: agreement, validity, exactly-once and liveness hold', async () => {
  const { runs, failures } = await runScenarios(0, 500);
  console.log(`${runs} random PBFT scenarios from seed 0: ${failures.length} failed`);
  expect(failures).toEqual([]);
}, 600_000);
