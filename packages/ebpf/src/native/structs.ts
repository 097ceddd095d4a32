/**
 * libbpf's opts structs as koffi types. Every one starts with `sz`, which must be the size declared
 * here (libbpf accepts an older, shorter layout when `sz` says so). The sizes are those of libbpf
 * 1.1's headers (checked with offsetof in C); structs.test.ts checks koffi computes the same.
 */
import type { Koffi } from './koffi.js';

/** The koffi types of the opts structs, and their sizes. */
export interface Structs {
  readonly sizes: Readonly<Record<StructName, number>>;
}

/** The libbpf structs declared here. */
export type StructName =
  | 'bpf_object_open_opts'
  | 'bpf_xdp_attach_opts'
  | 'bpf_xdp_query_opts'
  | 'bpf_tc_hook'
  | 'bpf_tc_opts'
  | 'bpf_test_run_opts'
  | 'bpf_link_create_opts'
  | 'bpf_link_update_opts'
  | 'bpf_map_batch_opts';

/** Sizes in libbpf 1.1's headers (x86_64 and aarch64 alike: LP64). */
export const LIBBPF_STRUCT_SIZES: Readonly<Record<StructName, number>> = {
  bpf_object_open_opts: 80,
  bpf_xdp_attach_opts: 16,
  bpf_xdp_query_opts: 32,
  bpf_tc_hook: 24,
  bpf_tc_opts: 32,
  bpf_test_run_opts: 80,
  bpf_link_create_opts: 64,
  bpf_link_update_opts: 16,
  bpf_map_batch_opts: 24,
};

/** Declares the opaque handles and opts structs in koffi's type registry (once per process). */
export function declareStructs(koffi: Koffi): Structs {
  for (const name of ['bpf_object', 'bpf_program', 'bpf_map', 'btf']) koffi.opaque(name);
  const types = {
    bpf_object_open_opts: koffi.struct('bpf_object_open_opts', {
      sz: 'size_t',
      object_name: 'const char *',
      relaxed_maps: 'bool',
      pin_root_path: 'const char *',
      anonymous_u32: 'uint32_t', // `__u32 :32;` in the header: it must be declared to keep the offsets
      kconfig: 'const char *',
      btf_custom_path: 'const char *',
      kernel_log_buf: 'void *',
      kernel_log_size: 'size_t',
      kernel_log_level: 'uint32_t',
    }),
    bpf_xdp_attach_opts: koffi.struct('bpf_xdp_attach_opts', { sz: 'size_t', old_prog_fd: 'int' }),
    bpf_xdp_query_opts: koffi.struct('bpf_xdp_query_opts', {
      sz: 'size_t',
      prog_id: 'uint32_t',
      drv_prog_id: 'uint32_t',
      hw_prog_id: 'uint32_t',
      skb_prog_id: 'uint32_t',
      attach_mode: 'uint8_t',
      feature_flags_pad: koffi.array('uint8_t', 7),
    }),
    bpf_tc_hook: koffi.struct('bpf_tc_hook', { sz: 'size_t', ifindex: 'int', attach_point: 'int', parent: 'uint32_t' }),
    bpf_tc_opts: koffi.struct('bpf_tc_opts', {
      sz: 'size_t',
      prog_fd: 'int',
      flags: 'uint32_t',
      prog_id: 'uint32_t',
      handle: 'uint32_t',
      priority: 'uint32_t',
    }),
    bpf_test_run_opts: koffi.struct('bpf_test_run_opts', {
      sz: 'size_t',
      data_in: 'void *',
      data_out: 'void *',
      data_size_in: 'uint32_t',
      data_size_out: 'uint32_t',
      ctx_in: 'void *',
      ctx_out: 'void *',
      ctx_size_in: 'uint32_t',
      ctx_size_out: 'uint32_t',
      retval: 'uint32_t',
      repeat: 'int',
      duration: 'uint32_t',
      flags: 'uint32_t',
      cpu: 'uint32_t',
      batch_size: 'uint32_t',
    }),
    bpf_link_create_opts: koffi.struct('bpf_link_create_opts', {
      sz: 'size_t',
      flags: 'uint32_t',
      // the union of per-attach-type options, unused here (zero means none)
      target: koffi.array('uint8_t', 52),
    }),
    bpf_link_update_opts: koffi.struct('bpf_link_update_opts', { sz: 'size_t', flags: 'uint32_t', old_prog_fd: 'uint32_t' }),
    bpf_map_batch_opts: koffi.struct('bpf_map_batch_opts', { sz: 'size_t', elem_flags: 'uint64_t', flags: 'uint64_t' }),
  };
  const sizes = Object.fromEntries(Object.entries(types).map(([name, t]) => [name, koffi.sizeof(t)])) as Record<StructName, number>;
  return { sizes };
}
