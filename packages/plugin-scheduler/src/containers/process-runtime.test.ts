import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import type { Container, ContainerSpec } from './container-runtime.js';
import { createProcessRuntime } from './process-runtime.js';
import { containerSpec } from '../testing/fixtures.js';

const MiB = 2 ** 20;

describe('process runtime (no root needed)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'hm-process-test-'));
  const runtime = createProcessRuntime({ workDir, clock: systemClock });
  const started: Container[] = [];
  const lines: string[] = [];
  afterEach(async () => {
    for (const c of started.splice(0)) {
      await c.stop(0);
      await c.remove();
    }
    lines.length = 0;
    await runtime.cleanup('hm-test-');
  });

  const start = async (command: string[], extra: Partial<ContainerSpec> = {}) => {
    const c = await runtime.start(containerSpec(`hm-test-${started.length}-${Date.now()}`, command, lines, extra));
    started.push(c);
    return c;
  };

  it('runs a program with its env, captures stdout and stderr, reports its exit code', async () => {
    const c = await start(['sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3']);
    expect(await c.exited).toEqual({ code: 3, signal: null, oomKilled: false, reason: 'exited with code 3' });
    expect(lines).toContain(`stdout: hello from ${join(workDir, c.id)}`);
    expect(lines).toContain('stderr: oops');
  });

  it('limits the address space to the memory request (RLIMIT_AS): a hog fails', async () => {
    const c = await start(['sh', '-c', 'x=aaaaaaaa; while true; do x="$x$x"; done'], { resources: { cpuMillis: 100, memoryBytes: 32 * MiB, pids: 10 } });
    const exit = await c.exited;
    expect(exit.code).not.toBe(0);
    expect(runtime.enforces).toContain('RLIMIT_AS');
  });

  it('stops the whole process group with SIGTERM, then SIGKILL after the grace period', async () => {
    const c = await start(['sh', '-c', 'sleep 60 & sleep 60; wait']);
    const exit = await c.stop(2000);
    expect(exit.reason).toBe('stopped');
    // an ignored signal survives exec: the sleep ignores SIGTERM too
    const stubborn = await start(['sh', '-c', "trap '' TERM; echo ready; exec sleep 60"]);
    while (!lines.includes('stdout: ready')) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    expect((await stubborn.stop(300)).signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('execs health-check commands beside it and times them out', async () => {
    const c = await start(['sleep', '60']);
    expect(await c.exec(['sh', '-c', 'echo ok; exit 0'], 2000)).toEqual({ code: 0, output: 'ok\n' });
    expect((await c.exec(['sh', '-c', 'exit 4'], 2000)).code).toBe(4);
    expect((await c.exec(['sleep', '10'], 200)).code).toBe(null);
  });

  it('refuses a program that does not exist with E_SCHED_RUNTIME, or reports it exited 127 under prlimit', async () => {
    const attempt = start(['/nonexistent/program']);
    const outcome = await attempt.then(
      (c) => c.exited,
      (err: { code: string }) => err.code,
    );
    expect(outcome === 'E_SCHED_RUNTIME' || (typeof outcome === 'object' && outcome.code !== 0)).toBe(true);
  });

  it('cleans up work directories by prefix', async () => {
    const c = await start(['true']);
    await c.exited;
    await runtime.cleanup('hm-test-');
    rmSync(workDir, { recursive: true, force: true });
  });
});
