import type { ContainerSpec } from './container-runtime.js';
import { OWNER_ANNOTATION } from './ownership.js';

/** The CFS period runc is given; the quota is the cpu request's share of it. */
export const CPU_PERIOD_US = 100_000;

/** The name of a container's cgroup, relative to the cgroups of the node process (runc's parent). */
export const cgroupName = (id: string): string => `hypermesh-${id}`;

/**
 * The command a container runs: wrapped, when the rootfs has a shell, so that the shell — PID 1 of
 * the container — reports the workload's exit status on fd 3 (passed with `runc run
 * --preserve-fds 1`). runc's detached mode gives no other way to learn an exit code. The workload
 * does not inherit fd 3.
 */
export function wrappedArgs(command: readonly string[], withReporter: boolean): string[] {
  return withReporter ? ['/bin/sh', '-c', '"$@" 3>&-; echo "$?" >&3', 'hypermesh-init', ...command] : [...command];
}

/**
 * The OCI runtime config (config.json, runtime-spec 1.0.2) for a container: the busybox (or given)
 * rootfs read-only with a tmpfs on /tmp; args and env; pid, ipc, uts and mount namespaces (and a
 * network namespace for `network: none`); cgroup limits for memory (swap included: no swap beyond
 * the limit), cpu (CFS quota) and pids; every capability dropped but the kept ones; no new
 * privileges; the kernel's sensitive paths masked or read-only; the owning agent as an annotation.
 */
export function ociConfig(spec: ContainerSpec, rootfs: string, withReporter: boolean): Record<string, unknown> {
  const env = { PATH: '/bin:/sbin:/usr/bin:/usr/sbin', HOME: '/root', ...spec.env };
  const capabilities = [...spec.capabilities];
  const { cpuMillis, memoryBytes, pids } = spec.resources;
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (spec.network === 'none') namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: wrappedArgs(spec.command, withReporter),
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities, inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: spec.hostname,
    ...(spec.owner === undefined ? {} : { annotations: { [OWNER_ANNOTATION]: spec.owner } }),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'] },
    ],
    linux: {
      namespaces,
      cgroupsPath: cgroupName(spec.id),
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        memory: { limit: memoryBytes, swap: memoryBytes },
        ...(cpuMillis > 0 ? { cpu: { quota: Math.max(1000, Math.round((cpuMillis * CPU_PERIOD_US) / 1000)), period: CPU_PERIOD_US } } : {}),
        pids: { limit: pids },
      },
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
