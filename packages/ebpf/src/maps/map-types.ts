/** BPF map and program types (include/uapi/linux/bpf.h), by name. */

/** Map types by their uapi number. */
export const BPF_MAP_TYPES = [
  'unspec',
  'hash',
  'array',
  'prog_array',
  'perf_event_array',
  'percpu_hash',
  'percpu_array',
  'stack_trace',
  'cgroup_array',
  'lru_hash',
  'lru_percpu_hash',
  'lpm_trie',
  'array_of_maps',
  'hash_of_maps',
  'devmap',
  'sockmap',
  'cpumap',
  'xskmap',
  'sockhash',
  'cgroup_storage',
  'reuseport_sockarray',
  'percpu_cgroup_storage',
  'queue',
  'stack',
  'sk_storage',
  'devmap_hash',
  'struct_ops',
  'ringbuf',
  'inode_storage',
  'task_storage',
  'bloom_filter',
  'user_ringbuf',
  'cgrp_storage',
] as const;

/** A map type's name, e.g. `lru_hash`. */
export type BpfMapType = (typeof BPF_MAP_TYPES)[number];

/** The name of a map type number (`type N` for types newer than this list). */
export function mapTypeName(type: number): BpfMapType {
  return BPF_MAP_TYPES[type] ?? (`type ${type}` as BpfMapType);
}

/** Map types whose values are per CPU (a lookup returns one value per possible CPU). */
export const PER_CPU_MAP_TYPES: ReadonlySet<BpfMapType> = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

/** Map types libbpf's batch operations support (kernel: hash and array families). */
export const BATCH_MAP_TYPES: ReadonlySet<BpfMapType> = new Set(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array']);

/** Program types by their uapi number. */
export const BPF_PROG_TYPES = [
  'unspec',
  'socket_filter',
  'kprobe',
  'sched_cls',
  'sched_act',
  'tracepoint',
  'xdp',
  'perf_event',
  'cgroup_skb',
  'cgroup_sock',
  'lwt_in',
  'lwt_out',
  'lwt_xmit',
  'sock_ops',
  'sk_skb',
  'cgroup_device',
  'sk_msg',
  'raw_tracepoint',
  'cgroup_sock_addr',
  'lwt_seg6local',
  'lirc_mode2',
  'sk_reuseport',
  'flow_dissector',
  'cgroup_sysctl',
  'raw_tracepoint_writable',
  'cgroup_sockopt',
  'tracing',
  'struct_ops',
  'ext',
  'lsm',
  'sk_lookup',
  'syscall',
  'netfilter',
] as const;

/** A program type's name, e.g. `xdp`. */
export type BpfProgramType = (typeof BPF_PROG_TYPES)[number];

/** The name of a program type number. */
export function programTypeName(type: number): BpfProgramType {
  return BPF_PROG_TYPES[type] ?? (`type ${type}` as BpfProgramType);
}

/** Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export const UpdateFlag = {
  /** Create or replace. */
  Any: 0n,
  /** Create only; fails with EEXIST when the key exists. */
  NoExist: 1n,
  /** Replace only; fails with ENOENT when the key is missing. */
  Exist: 2n,
} as const;
