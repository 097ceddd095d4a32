import type { ResourceQuantities } from '@hypermesh/runtime';

/** A mutable resource vector, for the resource manager's running sums. */
export interface MutableQuantities {
  cpuMillis: number;
  memoryBytes: number;
  pids: number;
}

/** The resource kinds, in the order messages list them. */
export const RESOURCE_KINDS = ['cpuMillis', 'memoryBytes', 'pids'] as const;

/** A resource kind. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** How a resource kind reads in a message. */
export const RESOURCE_NAMES: Readonly<Record<ResourceKind, string>> = { cpuMillis: 'cpu', memoryBytes: 'memory', pids: 'pids' };

/** A zero vector. */
export const zero = (): MutableQuantities => ({ cpuMillis: 0, memoryBytes: 0, pids: 0 });

/** A copy of `q`. */
export const copy = (q: ResourceQuantities): MutableQuantities => ({ cpuMillis: q.cpuMillis, memoryBytes: q.memoryBytes, pids: q.pids });

/** `into += q`. */
export function addInto(into: MutableQuantities, q: ResourceQuantities): void {
  into.cpuMillis += q.cpuMillis;
  into.memoryBytes += q.memoryBytes;
  into.pids += q.pids;
}

/** `into -= q`. */
export function subtractInto(into: MutableQuantities, q: ResourceQuantities): void {
  into.cpuMillis -= q.cpuMillis;
  into.memoryBytes -= q.memoryBytes;
  into.pids -= q.pids;
}

/** The first resource kind for which `used + request` exceeds `limit` (an absent limit is no limit). */
export function firstExceeded(used: ResourceQuantities, request: ResourceQuantities, limit: Partial<ResourceQuantities>): ResourceKind | undefined {
  for (const kind of RESOURCE_KINDS) {
    const max = limit[kind];
    if (max !== undefined && used[kind] + request[kind] > max) return kind;
  }
  return undefined;
}

/** Formats an amount of a resource for people: `250m` cpu, `64 MiB`, `100` pids. */
export function formatQuantity(kind: ResourceKind, value: number): string {
  if (kind === 'cpuMillis') return value % 1000 === 0 ? `${value / 1000}` : `${value}m`;
  if (kind === 'memoryBytes') {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = value;
    let u = 0;
    while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
      v /= 1024;
      u++;
    }
    return `${v} ${units[u]}`;
  }
  return String(value);
}
