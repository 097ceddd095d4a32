// What a test needs to make a node fail the way a machine does, on one host: the node process dies
// (SIGKILL) and so does everything it ran — its runc containers and its plain workload processes,
// which on a real machine would die with it. Also the cleanup of everything a cluster under a
// state directory may have left behind.
import { execFile } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The container id prefix of a node's agent (`hm-node2-` for `node-2`), as plugin-scheduler names them. */
export const containerPrefix = (nodeId: string): string => `hm-${nodeId.toLowerCase().replace(/[^a-z0-9]/g, '')}-`;

/**
 * Kills the workloads under `stateDir` whose container id starts with `prefix` (`''`: all):
 * runc containers in `stateDir/runc` (SIGKILL, then deleted) and process-runtime workloads (their
 * working directory is `stateDir/scheduler/work/<id>`; their whole process group is killed).
 * Returns the ids it found.
 */
export async function killWorkloads(stateDir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  const root = join(stateDir, 'runc');
  const listed = await run('runc', ['--root', root, 'list', '-q']).catch(() => ({ stdout: '' }));
  for (const id of listed.stdout.split('\n').filter((l) => l.startsWith(`hm-`) && l.startsWith(prefix))) {
    found.push(id);
    await run('runc', ['--root', root, 'kill', id, 'KILL']).catch(() => undefined);
    await run('runc', ['--root', root, 'delete', '--force', id]).catch(() => undefined);
  }
  const work = join(stateDir, 'scheduler', 'work') + '/';
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (!cwd.startsWith(work + prefix) || !cwd.slice(work.length).startsWith('hm-')) continue;
    found.push(`${cwd.slice(work.length)} (pid ${pid})`);
    for (const target of [-Number(pid), Number(pid)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already, or not a group leader
      }
    }
  }
  return found;
}

/** Kills a node as a machine failure would: its process (SIGKILL) and every workload it ran. */
export async function killNode(stateDir: string, nodeId: string, pid: number): Promise<string[]> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  return killWorkloads(stateDir, containerPrefix(nodeId));
}
