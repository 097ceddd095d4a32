import { describe, expect, it } from 'vitest';
import { checkEmbeddedCluster } from './testing/run-main.js';

// `npm start` on a machine without root or runc: the process runtime (forced with
// CLUSTER_RUNTIME=process, so it runs the same way as root too).

describe('cluster-embedded (process runtime)', () => {
  it('serves echo.svc by DNS and HTTP, answers the API, and stops cleanly on SIGINT', async () => {
    const ready = await checkEmbeddedCluster('process');
    expect(ready.reason).toContain('process runtime was asked for');
  }, 200_000);
});
