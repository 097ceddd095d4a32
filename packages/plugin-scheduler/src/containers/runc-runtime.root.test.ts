import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@hypermesh/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { containerSpec } from '../testing/fixtures.js';
import { runcMissing, until } from '../testing/wait.js';
import { ensureBusyboxRootfs } from './busybox-rootfs.js';
import { ownCgroupDirs } from './cgroups.js';
import type { Container, ContainerSpec } from './container-runtime.js';
import { cgroupName } from './oci-bundle.js';
import { createRuncRuntime } from './runc-runtime.js';

const MiB = 2 ** 20;

const skip = runcMissing();
if (skip !== undefined) console.log(`skipping the runc runtime tests: ${skip}`);

describe.skipIf(skip !== undefined)('runc runtime (root)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-runc-test-'));
  const root = join('/run', `hypermesh-runc-test-${process.pid}`);
  const prefix = `hmt${process.pid}-`;
  const runtime = createRuncRuntime({ root, bundleDir: join(stateDir, 'bundles'), defaultRootfs: join(stateDir, 'rootfs'), clock: systemClock, pollMs: 500 });
  const started: Container[] = [];
  let lines: string[] = [];
  let n = 0;

  beforeAll(async () => {
    await ensureBusyboxRootfs(join(stateDir, 'rootfs'), '/bin/busybox', systemClock);
  });
  // Whatever a test left behind — even after a failed assertion — goes: runc delete --force,
  // bundles, cgroups. The last test checks that this really leaves nothing.
  afterEach(async () => {
    for (const c of started.splice(0)) {
      await c.stop(0).catch(() => undefined);
      await c.remove();
    }
    await runtime.cleanup(prefix);
    lines = [];
  });
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  const start = async (command: string[], extra: Partial<ContainerSpec> = {}) => {
    const c = await runtime.start(containerSpec(`${prefix}${n++}`, command, lines, { resources: { cpuMillis: 250, memoryBytes: 32 * MiB, pids: 16 }, ...extra }));
    started.push(c);
    return c;
  };
  const cgroupFile = async (id: string, controller: string, file: string) => {
    const dir = (await ownCgroupDirs()).find((d) => d.controllers.split(',').includes(controller))!.dir;
    return readFileSync(join(dir, cgroupName(id), file), 'utf8').trim();
  };

  it('captures stdout and stderr, reports the exit code, runs in its own pid and uts namespaces', async () => {
    const c = await start(['sh', '-c', 'echo "$GREETING"; hostname; cat /proc/1/cmdline | tr "\\0" " "; echo; echo err >&2; exit 5']);
    expect(await c.exited).toMatchObject({ code: 5, oomKilled: false, reason: 'exited with code 5' });
    expect(lines).toEqual(expect.arrayContaining(['stdout: hello', 'stdout: probe-host', 'stderr: err', expect.stringMatching(/^stdout: \/bin\/sh -c .* hypermesh-init sh -c/)]));
  });

  it('applies cgroup limits: memory (a hog is killed by the limit), cpu quota, pids', async () => {
    const idle = await start(['sleep', '30'], { resources: { cpuMillis: 250, memoryBytes: 24 * MiB, pids: 12 } });
    expect(await cgroupFile(idle.id, 'memory', 'memory.limit_in_bytes')).toBe(String(24 * MiB));
    expect(await cgroupFile(idle.id, 'cpu', 'cpu.cfs_quota_us')).toBe('25000');
    expect(await cgroupFile(idle.id, 'cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(await cgroupFile(idle.id, 'pids', 'pids.max')).toBe('12');

    const hog = await start(['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'], { resources: { cpuMillis: 500, memoryBytes: 16 * MiB, pids: 8 } });
    expect(await hog.exited).toEqual({ code: 137, signal: 'SIGKILL', oomKilled: true, reason: 'killed by its cgroup memory limit (OOM)' });

    const forker = await start(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; echo spawned; wait'], { resources: { cpuMillis: 100, memoryBytes: 32 * MiB, pids: 6 } });
    await until(() => lines.some((l) => /can't fork|Resource temporarily unavailable/.test(l)), 'a refused fork');
    await forker.stop(0);
  });

  it('drops every capability not kept: CapEff is 0, chown and raw sockets are refused', async () => {
    const c = await start(['sh', '-c', 'grep CapEff /proc/self/status; chown 65534 /tmp && echo chown-ok; ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 && echo ping-ok; exit 0']);
    await c.exited;
    expect(lines).toContain('stdout: CapEff:\t0000000000000000');
    expect(lines).toContain('stderr: chown: /tmp: Operation not permitted');
    expect(lines).not.toContain('stdout: chown-ok');
    // raw ICMP needs CAP_NET_RAW unless the host allows unprivileged ping sockets for gid 0
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
    if (!(low! <= 0 && 0 <= high!)) expect(lines).not.toContain('stdout: ping-ok');

    lines = [];
    const kept = await start(['sh', '-c', 'grep CapEff /proc/self/status; chown 65534 /tmp && echo chown-ok; ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 && echo ping-ok'], {
      capabilities: ['CAP_CHOWN', 'CAP_NET_RAW'],
    });
    await kept.exited;
    expect(lines).toContain('stdout: CapEff:\t0000000000002001');
    expect(lines).toContain('stdout: chown-ok');
    expect(lines).toContain('stdout: ping-ok');
  });

  it('mounts the rootfs read-only with a writable /tmp, and runs exec health checks inside', async () => {
    const c = await start(['sleep', '30']);
    expect(await c.exec(['sh', '-c', 'touch /x'], 5000)).toMatchObject({ code: 1, output: expect.stringContaining('Read-only file system') });
    expect(await c.exec(['sh', '-c', 'echo ok > /tmp/f && cat /tmp/f'], 5000)).toEqual({ code: 0, output: 'ok\n' });
    const stopped = await c.stop(10_000); // generous: runc kill --all freezes the cgroup, slow on a loaded machine
    expect(stopped).toMatchObject({ reason: 'stopped', signal: 'SIGTERM' });
  });

  it('leaves nothing behind after cleanup: no runc container, bundle or cgroup — even for a test that failed midway', async () => {
    const c = await start(['sleep', '300']);
    const id = c.id;
    expect(execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' })).toContain(id);
    started.length = 0; // as if the test had thrown before stopping it
    await runtime.cleanup(prefix);
    expect(execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' })).not.toContain(id);
    expect(readdirSync(join(stateDir, 'bundles')).filter((b) => b.startsWith(prefix))).toEqual([]);
    for (const { dir } of await ownCgroupDirs()) expect(existsSync(join(dir, cgroupName(id)))).toBe(false);
    if (c.pid !== undefined) await until(() => !existsSync(`/proc/${c.pid}`), 'the container process to be gone');
  });
});
