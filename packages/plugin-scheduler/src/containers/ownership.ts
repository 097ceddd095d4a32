import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** The OCI annotation that names the agent (its id prefix) owning a runc container. */
export const OWNER_ANNOTATION = 'io.hypermesh.owner';

/** Something an agent's start-up sweep removed: left behind by an earlier run of the same node. */
export interface Removal {
  /** `container` (runc), `bundle` (its directory), `cgroup`, `process` (a process group), `workdir`. */
  readonly kind: 'container' | 'bundle' | 'cgroup' | 'process' | 'workdir';
  /** The container id (or directory/cgroup name). */
  readonly id: string;
}

/** Receives each removal of a sweep (the agent logs and counts them). */
export type RemovalListener = (removal: Removal) => void;

/**
 * The prefix of every container id (runc id, bundle, cgroup, work directory, pid file) a node's
 * agent creates: `hm-<node slug>-<8 hex>-`, the hex a hash of the exact node id and the absolute
 * state directory. Node ids that slug alike (`a-b`, `ab`, `AB`) and clusters sharing a host but
 * not a state directory get different prefixes, so a sweep by prefix touches only its own node.
 */
export function ownerPrefix(nodeId: string, stateDir: string): string {
  const slug = nodeId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 24);
  const hash = createHash('sha256').update(`${resolve(stateDir)}\0${nodeId}`).digest('hex').slice(0, 8);
  return `hm-${slug}-${hash}-`;
}

/**
 * The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot), or
 * `undefined` when no such process exists. A pid plus its start time names one process: a reused
 * pid has another start time.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // field 22 overall: fields 3.. start at index 0
}
