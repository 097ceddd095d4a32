import { readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** This process's cgroup directory in one hierarchy. */
export interface CgroupDir {
  /** The controllers of the hierarchy (`memory`, `cpu,cpuacct`, `` for the unified v2 tree). */
  readonly controllers: string;
  /** The absolute directory of this process's cgroup in it. */
  readonly dir: string;
}

/**
 * The cgroup directories of this process, one per hierarchy (cgroups v1 and v2). runc puts a
 * container with a relative `cgroupsPath` under these, so they are where its limits live.
 */
export async function ownCgroupDirs(): Promise<CgroupDir[]> {
  const [cgroup, mountinfo] = await Promise.all([readFile('/proc/self/cgroup', 'utf8'), readFile('/proc/self/mountinfo', 'utf8')]);
  const mounts: { point: string; v2: boolean; options: string[] }[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const [fsType, , superOptions = ''] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ point: left.split(' ')[4]!, v2: fsType === 'cgroup2', options: superOptions.split(',') });
  }
  const dirs: CgroupDir[] = [];
  for (const line of cgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m === null) continue;
    const controllers = m[1]!;
    const names = controllers.split(',').filter((c) => c.length > 0);
    const mount = names.length === 0 ? mounts.find((x) => x.v2) : mounts.find((x) => !x.v2 && names.every((n) => x.options.includes(n)));
    if (mount !== undefined) dirs.push({ controllers, dir: join(mount.point, m[2]!) });
  }
  return dirs;
}

/** `1` for cgroups v1 (a memory hierarchy of its own), `2` for the unified hierarchy, `undefined` without a memory controller. */
export async function cgroupVersion(): Promise<1 | 2 | undefined> {
  const dirs = await ownCgroupDirs();
  if (dirs.some((d) => d.controllers.split(',').includes('memory'))) return 1;
  const unified = dirs.find((d) => d.controllers === '');
  if (unified === undefined) return undefined;
  const controllers = await readFile(join(unified.dir, 'cgroup.controllers'), 'utf8').catch(() => '');
  return controllers.split(/\s+/).includes('memory') ? 2 : undefined;
}

/** How many times the memory limit of cgroup `name` (under this process's cgroups) killed a process. */
export async function oomKills(name: string): Promise<number> {
  for (const { controllers, dir } of await ownCgroupDirs()) {
    const names = controllers.split(',');
    const file = names.includes('memory') ? join(dir, name, 'memory.oom_control') : controllers === '' ? join(dir, name, 'memory.events') : undefined;
    if (file === undefined) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    const m = /^oom_kill (\d+)$/m.exec(text);
    if (m !== null) return Number(m[1]);
  }
  return 0;
}

/** Removes empty cgroup directories whose names start with `prefix`, in every hierarchy; returns how many (each named to `onRemoved`). */
export async function removeCgroups(prefix: string, onRemoved?: (name: string) => void): Promise<number> {
  let removed = 0;
  const names = new Set<string>();
  for (const { dir } of await ownCgroupDirs()) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
      await rmdir(join(dir, entry.name)).then(
        () => {
          removed++;
          names.add(entry.name);
        },
        () => undefined, // still has processes: runc delete --force handles those
      );
    }
  }
  for (const name of names) onRemoved?.(name); // once per cgroup, not once per hierarchy
  return removed;
}
