import { afterEach, describe, expect, it } from 'vitest';
import { createSimulatedCluster, type SimulatedCluster } from './index.js';

describe('simulated cluster', () => {
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('commits key-value operations on n=4 and answers with the agreed result', async () => {
    cluster = await createSimulatedCluster({ n: 4, seed: 1 });
    expect(await cluster.submit({ op: 'set', key: 'a', value: 1 })).toEqual({ value: 1 });
    expect(await cluster.submit({ op: 'get', key: 'a' })).toEqual({ value: 1 });
    await cluster.runFor(200);
    for (let i = 0; i < 4; i++) expect(cluster.committed(i)).toEqual([{ op: 'set', key: 'a', value: 1 }, { op: 'get', key: 'a' }]);
    cluster.assertInvariants({ liveness: true });
  });
});
