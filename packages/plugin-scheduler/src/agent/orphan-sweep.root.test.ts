import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@hypermesh/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBusyboxRootfs } from '../containers/busybox-rootfs.js';
import { ownCgroupDirs, removeCgroups } from '../containers/cgroups.js';
import { cgroupName } from '../containers/oci-bundle.js';
import { ownerPrefix, type Removal } from '../containers/ownership.js';
import { createProcessRuntime } from '../containers/process-runtime.js';
import { createRuncRuntime } from '../containers/runc-runtime.js';
import { containerSpec, idleAgent } from '../testing/fixtures.js';
import { runcMissing, until } from '../testing/wait.js';

const skip = runcMissing();
if (skip !== undefined) console.log(`skipping the runc orphan sweep test: ${skip}`);

describe.skipIf(skip !== undefined)('orphan sweep of runc containers (root)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'hm-orphans-runc-'));
  const root = join('/run', `hypermesh-runc-orphans-${process.pid}`);
  const runtime = createRuncRuntime({ root, bundleDir: join(stateDir, 'bundles'), defaultRootfs: join(stateDir, 'rootfs'), clock: systemClock, pollMs: 500 });
  const processes = createProcessRuntime({ workDir: join(stateDir, 'work'), clock: systemClock });
  const list = () => execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter((l) => l.length > 0);
  const agentOf = (nodeId: string, removed: Removal['kind'][] = []) => idleAgent(nodeId, stateDir, { preferred: runtime, process: processes, runc: runtime }, removed);
  const otherId = `not-hypermesh-${process.pid}`;

  afterAll(async () => {
    // whatever the test did or failed to do: every container of this test's own runc root goes
    for (const id of list()) execFileSync('runc', ['--root', root, 'delete', '--force', id]);
    for (const prefix of [ownerPrefix('node-a', stateDir), ownerPrefix('node-b', stateDir), otherId]) await removeCgroups(cgroupName(prefix));
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('a restarted agent of node A removes the containers, bundles and cgroups of its crashed run; B’s and a foreign one stay', async () => {
    await ensureBusyboxRootfs(join(stateDir, 'rootfs'), '/bin/busybox', systemClock);
    const a = agentOf('node-a');
    const b = agentOf('node-b');
    await a.start();
    await b.start();
    const spec = (id: string, owner?: string) => containerSpec(id, ['sleep', '300'], [], { resources: { cpuMillis: 100, memoryBytes: 16 * 2 ** 20, pids: 8 }, ...(owner ? { owner } : {}) });
    const ofA = await runtime.start(spec(`${a.idPrefix}web-1`, a.idPrefix));
    const ofB = await runtime.start(spec(`${b.idPrefix}web-1`, b.idPrefix));
    await runtime.start(spec(otherId)); // in the same runc root, not created by an agent: no hm- prefix, no owner
    // A's prefix but another owner's annotation: the annotation wins, the sweep leaves it
    const disowned = await runtime.start(spec(`${a.idPrefix}disowned`, 'hm-someone-else-'));
    expect(list()).toEqual(expect.arrayContaining([ofA.id, ofB.id, otherId, disowned.id]));

    // node A crashes: its agent is dropped, its container keeps running. A new agent of A starts.
    const removed: Removal['kind'][] = [];
    const restarted = agentOf('node-a', removed);
    await restarted.start();

    expect(list()).not.toContain(ofA.id);
    expect(list()).toEqual(expect.arrayContaining([ofB.id, otherId, disowned.id]));
    // runc delete --force removes the cgroup itself; the sweep removes any cgroup left empty
    expect(removed).toEqual(expect.arrayContaining(['container', 'bundle']));
    expect(removed.filter((k) => k === 'container')).toHaveLength(1);
    expect(readdirSync(join(stateDir, 'bundles')).sort()).toEqual([ofB.id, otherId, disowned.id].sort());
    const cgroupDirs = (await ownCgroupDirs()).map((d) => d.dir);
    expect(cgroupDirs.filter((dir) => existsSync(join(dir, cgroupName(ofA.id))))).toEqual([]);
    expect(cgroupDirs.filter((dir) => existsSync(join(dir, cgroupName(ofB.id)))).length).toBeGreaterThan(0);
    if (ofA.pid !== undefined) await until(() => !existsSync(`/proc/${ofA.pid}`), 'the process of A’s container to be gone', 5000);
    await restarted.stop();
    await b.stop();
    expect(list().sort()).toEqual([otherId, disowned.id].sort());
  });
});
