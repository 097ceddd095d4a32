import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkEmbeddedCluster } from './testing/run-main.js';

// `npm start` as root with runc: the workloads run in runc containers from the busybox-static rootfs.

function runcMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('runc', ['--version'], { stdio: 'pipe' });
    execFileSync('/bin/busybox', ['true'], { stdio: 'pipe' });
  } catch {
    return 'runc or /bin/busybox (busybox-static) is missing';
  }
  return undefined;
}

const missing = runcMissing();
if (missing !== undefined) console.log(`skipping cluster-embedded with runc: ${missing}`);

describe.skipIf(missing !== undefined)('cluster-embedded (runc)', () => {
  it('runs echo and worker in runc containers, serves them by DNS and HTTP, and removes them on SIGINT', async () => {
    const ready = await checkEmbeddedCluster('runc');
    expect(ready.reason).toContain('runc works here');
  }, 200_000);
});
