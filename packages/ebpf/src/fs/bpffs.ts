import { mkdirSync } from 'node:fs';
import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf } from '../native/libbpf.js';

/** statfs(2) f_type of bpffs (include/uapi/linux/magic.h). */
const BPF_FS_MAGIC = 0xcafe4a11n;

/** The usual mount point of bpffs. */
export const DEFAULT_BPFFS = '/sys/fs/bpf';

/** True when `path` is on a bpf filesystem. */
export function isBpffs(path: string): boolean {
  const lib = libbpf();
  const buf = Buffer.alloc(120); // struct statfs on LP64
  if (lib.statfs(path, buf) < 0) return false;
  return buf.readBigUInt64LE(0) === BPF_FS_MAGIC;
}

/**
 * Makes sure `path` is on a bpf filesystem, mounting one there (mode 0700) when it is not, and
 * returns whether it mounted. `ip netns exec` remounts /sys, so a process started that way sees
 * no bpffs at /sys/fs/bpf: pass another directory, or mount one with this.
 */
export function ensureBpffs(path: string = DEFAULT_BPFFS): { readonly path: string; readonly mounted: boolean } {
  if (isBpffs(path)) return { path, mounted: false };
  mkdirSync(path, { recursive: true });
  const lib = libbpf();
  if (lib.mount('bpf', path, 'bpf', 0, 'mode=0700') < 0) {
    const errno = lib.koffi.errno();
    throw new EbpfError(codeForErrno(errno, EbpfErrorCode.Bpffs), `no bpffs at '${path}' and mounting one failed${describeErrno(errno)}: mount it with 'mount -t bpf bpf ${path}'`, {
      errno,
    });
  }
  return { path, mounted: true };
}
