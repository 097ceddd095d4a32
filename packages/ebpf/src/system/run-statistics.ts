import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf } from '../native/libbpf.js';

const BPF_STATS_RUN_TIME = 0;

/** Keeps the kernel's per-program run statistics on until `close()` (see `BpfProgram.statistics`). */
export interface RunStatistics {
  /** Turns statistics off again (when no one else holds them on). Idempotent. */
  close(): void;
}

/**
 * Turns on run-time statistics for every BPF program (BPF_ENABLE_STATS): each run then costs two
 * clock reads, so keep them on only while measuring. Needs CAP_SYS_ADMIN.
 */
export function enableRunStatistics(): RunStatistics {
  const lib = libbpf();
  const fd = lib.enableStats(BPF_STATS_RUN_TIME);
  if (fd < 0) {
    throw new EbpfError(codeForErrno(-fd, EbpfErrorCode.Permission), `could not enable BPF run statistics${describeErrno(-fd)}`, { errno: -fd });
  }
  let open = true;
  return {
    close: () => {
      if (open) lib.close(fd);
      open = false;
    },
  };
}
