/**
 * What this process may do with eBPF here. Capabilities are read from /proc/self/status first:
 * without privileges libbpf's feature probes return 0 rather than an error, so they cannot tell
 * "unsupported" from "not allowed".
 */
import { existsSync, readFileSync } from 'node:fs';
import type { DatapathCapabilities } from '@hypermesh/runtime';
import { libbpf, libbpfStatus } from '../native/libbpf.js';

// include/uapi/linux/capability.h
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;
const PROG_XDP = 6;
const PROG_SCHED_CLS = 3;
const MAP_RINGBUF = 27;

/** The effective capability set of this process (CapEff in /proc/self/status), as a bit mask. */
export function effectiveCapabilities(status = '/proc/self/status'): bigint {
  try {
    const line = readFileSync(status, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    return line ? BigInt(`0x${line.split(/\s+/)[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

const has = (caps: bigint, cap: bigint) => (caps & (1n << cap)) !== 0n;

/**
 * Detects what the datapath can use here, and names everything missing with the consequence.
 * `mode` is `kernel` only when libbpf loads, the process may load BPF programs (CAP_BPF + CAP_PERFMON,
 * or CAP_SYS_ADMIN) and attach them (CAP_NET_ADMIN), and the kernel has XDP, TC and ring buffers.
 */
export function detectCapabilities(): DatapathCapabilities {
  const caps = effectiveCapabilities();
  const root = process.getuid?.() === 0;
  const capBpf = has(caps, CAP_BPF) || has(caps, CAP_SYS_ADMIN);
  const capPerfmon = has(caps, CAP_PERFMON) || has(caps, CAP_SYS_ADMIN);
  const capNetAdmin = has(caps, CAP_NET_ADMIN);
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  const lib = libbpfStatus();
  const missing: string[] = [];
  const fallback = 'the DNS server enforces blocks and rate limits in userspace through admit(), and no answers come from the kernel';
  if (!lib.available) missing.push(`${lib.reason}; ${fallback}`);
  if (!capBpf) missing.push(`this process lacks CAP_BPF (run as root, or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN); ${fallback}`);
  else if (!capPerfmon) missing.push(`this process lacks CAP_PERFMON, which packet programs need alongside CAP_BPF; ${fallback}`);
  if (!capNetAdmin) missing.push(`this process lacks CAP_NET_ADMIN, needed to attach XDP and TC programs; ${fallback}`);
  let xdp = false;
  let tc = false;
  let ringBuffer = false;
  if (lib.available && capBpf && capPerfmon) {
    const probe = libbpf();
    xdp = probe.probeProgType(PROG_XDP, null) === 1;
    tc = probe.probeProgType(PROG_SCHED_CLS, null) === 1;
    ringBuffer = probe.probeMapType(MAP_RINGBUF, null) === 1;
    if (!xdp) missing.push(`the kernel cannot load XDP programs; ${fallback}`);
    if (!tc) missing.push('the kernel cannot load TC programs: flows are not counted');
    if (!ringBuffer) missing.push(`the kernel has no BPF ring buffers (Linux 5.8+); ${fallback}`);
  }
  if (!btf) missing.push('the kernel exposes no BTF at /sys/kernel/btf/vmlinux (not needed by the shipped programs, which use no CO-RE)');
  const kernel = lib.available && capBpf && capPerfmon && capNetAdmin && xdp && ringBuffer;
  return {
    mode: kernel ? 'kernel' : 'userspace',
    root,
    capBpf,
    capNetAdmin,
    btf,
    ...(lib.available ? { libbpfVersion: lib.version } : {}),
    xdpModes: kernel ? ['generic', 'native'] : [],
    tc: kernel && tc,
    ringBuffer: kernel && ringBuffer,
    missing: kernel ? missing.filter((m) => !m.includes(fallback)) : missing,
  };
}
