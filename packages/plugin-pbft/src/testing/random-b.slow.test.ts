import { expect, it } from 'vitest';
import { runScenarios } from './random-scenario.js';

// Half of the 1,000 seeded random scenarios (the other half is in random-a.slow.test.ts, so the
// two halves run in parallel). A failure names its seed; replay it with PBFT_SEEDS=<seed>.
it('seeded random scenarios 500–999: agreement, validity, exactly-once and liveness hold', async () => {
  const { runs, failures } = await runScenarios(500, 500);
  console.log(`${runs} random PBFT scenarios from seed 500: ${failures.length} failed`);
  expect(failures).toEqual([]);
}, 600_000);
