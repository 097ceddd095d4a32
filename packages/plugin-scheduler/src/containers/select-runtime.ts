import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClockService } from '@hypermesh/runtime';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';
import { ensureBusyboxRootfs } from './busybox-rootfs.js';
import { cgroupVersion } from './cgroups.js';
import type { ContainerRuntime } from './container-runtime.js';
import { createProcessRuntime } from './process-runtime.js';
import { createRuncRuntime } from './runc-runtime.js';
import { runCommand } from './run-command.js';

/** Options of {@link selectRuntime}. */
export interface RuntimeSelectionOptions {
  /** `auto` (runc when it works here, else process), `runc` (fail without it) or `process`. */
  readonly preference: 'auto' | 'runc' | 'process';
  /** Where rootfs, bundles and work directories go. */
  readonly stateDir: string;
  /** runc's `--root`. */
  readonly runcRoot: string;
  /** The runc binary. Default `runc`. */
  readonly runc?: string;
  /** The static busybox the default rootfs is built from. */
  readonly busybox: string;
  /** Timers. */
  readonly clock: ClockService;
  /** Prefix of container ids, for the probe container. */
  readonly idPrefix: string;
}

/** The runtimes a node's agent has, and why. */
export interface RuntimeSelection {
  /** The runtime for workloads that say `auto`. */
  readonly preferred: ContainerRuntime;
  /** The plain-process runtime (always available). */
  readonly process: ContainerRuntime;
  /** The runc runtime, when it works here. */
  readonly runc: ContainerRuntime | undefined;
  /** A sentence: which runtime `auto` uses and why. */
  readonly reason: string;
}

/** Whether runc works here, and why not. */
export interface RuncProbe {
  readonly ok: boolean;
  readonly reason: string;
}

/**
 * Checks, in order, what runc needs — root, the runc binary, a static busybox for the rootfs, a
 * cgroup memory controller — and then starts and removes a probe container, so that "runc works
 * here" means a container really ran.
 */
export async function probeRunc(options: RuntimeSelectionOptions): Promise<RuncProbe & { runtime?: ContainerRuntime }> {
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `not running as root (uid ${uid ?? 'unknown'}); runc needs root for cgroups and namespaces` };
  const runc = options.runc ?? 'runc';
  const version = await runCommand(options.clock, runc, ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
  if (version?.code !== 0) return { ok: false, reason: `runc is not installed or does not run ('${runc} --version' failed)` };
  const runcVersion = /runc version (\S+)/.exec(version.stdout)?.[1] ?? 'unknown';
  if (!(await access(options.busybox).then(() => true, () => false))) {
    return { ok: false, reason: `no static busybox at ${options.busybox} to build the container rootfs (install busybox-static)` };
  }
  const cgroups = await cgroupVersion();
  if (cgroups === undefined) return { ok: false, reason: 'no cgroup memory controller is available to this process' };
  let rootfs: string;
  try {
    rootfs = await ensureBusyboxRootfs(join(options.stateDir, 'rootfs', 'busybox'), options.busybox, options.clock);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const runtime = createRuncRuntime({ runc, root: options.runcRoot, bundleDir: join(options.stateDir, 'bundles'), defaultRootfs: rootfs, clock: options.clock });
  const id = `${options.idPrefix}probe-${process.pid}-${options.clock.now()}`;
  try {
    const probe = await runtime.start({
      id,
      owner: options.idPrefix,
      hostname: 'probe',
      command: ['true'],
      env: {},
      resources: { cpuMillis: 100, memoryBytes: 16 * 2 ** 20, pids: 8 },
      capabilities: [],
      network: 'host',
      onOutput: () => undefined,
    });
    const timer = options.clock.setTimeout(() => void probe.stop(0), 10_000);
    const exit = await probe.exited;
    options.clock.clearTimeout(timer);
    await probe.remove();
    if (exit.code !== 0 && exit.code !== null) return { ok: false, reason: `a runc probe container ${exit.reason}` };
  } catch (err) {
    await runtime.cleanup(id);
    return { ok: false, reason: `a runc probe container failed: ${(err as Error).message}` };
  }
  return { ok: true, reason: `runc ${runcVersion} works here (root, cgroups v${cgroups}, a probe container ran)`, runtime };
}

/**
 * Picks the runtimes of a node's agent. `auto` uses runc when {@link probeRunc} says it works,
 * else plain processes — and the reason says which and why; `runc` fails with
 * `E_SCHED_RUNTIME_UNAVAILABLE` (saying what is missing) when runc does not work here.
 */
export async function selectRuntime(options: RuntimeSelectionOptions): Promise<RuntimeSelection> {
  const processRuntime = createProcessRuntime({ workDir: join(options.stateDir, 'work'), clock: options.clock });
  if (options.preference === 'process') {
    return { preferred: processRuntime, process: processRuntime, runc: undefined, reason: `the process runtime was configured (${processRuntime.enforces})` };
  }
  const probe = await probeRunc(options);
  if (probe.ok && probe.runtime !== undefined) return { preferred: probe.runtime, process: processRuntime, runc: probe.runtime, reason: probe.reason };
  if (options.preference === 'runc') {
    throw new SchedulerError(SchedulerErrorCode.RuntimeUnavailable, `the runc runtime was configured but cannot work here: ${probe.reason}; use runtime 'auto' or 'process'`);
  }
  return {
    preferred: processRuntime,
    process: processRuntime,
    runc: undefined,
    reason: `runc cannot be used here (${probe.reason}); running workloads as plain processes: ${processRuntime.enforces}`,
  };
}
