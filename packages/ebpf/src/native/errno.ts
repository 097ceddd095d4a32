import { constants } from 'node:os';

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!names.has(value)) names.set(value, name);
}
// Kernel-internal codes that leak to userspace through BPF syscalls.
names.set(524, 'ENOTSUPP');

/** The symbolic name of an errno (`EPERM`), or `errno N` when unknown. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `errno ${errno}`;
}

/** The errno of a libbpf ≥ 1.0 int return (-errno), or the given fallback errno. */
export function errnoOf(ret: number, fallback: number): number {
  return ret < 0 ? -ret : fallback;
}
