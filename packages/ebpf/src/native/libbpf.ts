/**
 * libbpf.so.1 and the few libc calls the bindings need, declared once through koffi. Nothing here
 * checks handle types (koffi cannot): only the wrapper classes in object/, maps/ and attach/ call
 * these, each with a handle it owns.
 */
import { EbpfError, EbpfErrorCode } from '../errors.js';
import { loadKoffi, type Koffi, type Pointer } from './koffi.js';
import { installPrintCallback } from './print.js';
import { sharedState } from './shared-state.js';
import { declareStructs, type Structs } from './structs.js';

type Ptr = Pointer | null;
type Bytes = Buffer | Uint8Array | null;

/** The libbpf calls the bindings use (libbpf ≥ 1.0: int calls return -errno). */
export interface Libbpf {
  readonly koffi: Koffi;
  readonly structs: Structs;
  /** "1.1" etc. */
  readonly version: string;

  objectOpenFile(path: string, opts: object | null): Ptr;
  objectOpenMem(image: Pointer, size: number, opts: object | null): Ptr;
  objectLoad(obj: Pointer): number;
  objectClose(obj: Pointer): void;
  objectName(obj: Pointer): string;
  objectNextProgram(obj: Pointer, prev: Ptr): Ptr;
  objectNextMap(obj: Pointer, prev: Ptr): Ptr;
  objectBtf(obj: Pointer): Ptr;

  programName(prog: Pointer): string;
  programSectionName(prog: Pointer): string;
  programFd(prog: Pointer): number;
  programType(prog: Pointer): number;
  programSetAutoload(prog: Pointer, autoload: boolean): number;
  programSetLogLevel(prog: Pointer, level: number): number;
  programSetLogBuf(prog: Pointer, buf: Ptr, size: number): number;
  programInsnCount(prog: Pointer): number;

  mapName(map: Pointer): string;
  mapFd(map: Pointer): number;
  mapType(map: Pointer): number;
  mapKeySize(map: Pointer): number;
  mapValueSize(map: Pointer): number;
  mapMaxEntries(map: Pointer): number;
  mapSetMaxEntries(map: Pointer, n: number): number;
  mapReuseFd(map: Pointer, fd: number): number;
  mapPin(map: Pointer, path: string): number;
  mapUnpin(map: Pointer, path: string | null): number;

  mapLookupElem(fd: number, key: Bytes, value: Bytes): number;
  mapUpdateElem(fd: number, key: Bytes, value: Bytes, flags: bigint): number;
  mapDeleteElem(fd: number, key: Bytes): number;
  mapGetNextKey(fd: number, key: Bytes, next: Bytes): number;
  mapLookupBatch(fd: number, inBatch: Bytes, outBatch: Bytes, keys: Bytes, values: Bytes, count: number[], opts: object | null): number;
  mapLookupAndDeleteBatch(fd: number, inBatch: Bytes, outBatch: Bytes, keys: Bytes, values: Bytes, count: number[], opts: object | null): number;
  mapUpdateBatch(fd: number, keys: Bytes, values: Bytes, count: number[], opts: object | null): number;
  mapDeleteBatch(fd: number, keys: Bytes, count: number[], opts: object | null): number;

  objPin(fd: number, path: string): number;
  objGet(path: string): number;
  objGetInfoByFd(fd: number, info: Buffer, len: number[]): number;
  enableStats(type: number): number;
  progTestRun(fd: number, opts: object): number;

  xdpAttach(ifindex: number, progFd: number, flags: number, opts: object | null): number;
  xdpDetach(ifindex: number, flags: number, opts: object | null): number;
  xdpQuery(ifindex: number, flags: number, opts: object): number;
  linkCreate(progFd: number, targetFd: number, attachType: number, opts: object | null): number;
  linkUpdate(linkFd: number, newProgFd: number, opts: object | null): number;
  linkDetach(linkFd: number): number;
  tcHookCreate(hook: object): number;
  tcHookDestroy(hook: object): number;
  tcAttach(hook: object, opts: object): number;
  tcDetach(hook: object, opts: object): number;
  tcQuery(hook: object, opts: object): number;
  probeProgType(type: number, opts: null): number;
  probeMapType(type: number, opts: null): number;
  numPossibleCpus(): number;

  btfParseElf(path: string, ext: null): Ptr;
  btfFree(btf: Pointer): void;
  btfFindByNameKind(btf: Pointer, name: string, kind: number): number;
  btfTypeById(btf: Pointer, id: number): Ptr;
  btfNameByOffset(btf: Pointer, offset: number): string | null;
  btfResolveSize(btf: Pointer, id: number): number;
  btfTypeCount(btf: Pointer): number;

  // libc
  close(fd: number): number;
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): Pointer;
  munmap(addr: Pointer, length: number): number;
  ifNameToIndex(name: string): number;
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): number;
  statfs(path: string, buf: Buffer): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  sysconf(name: number): number;
}

const state = sharedState('libbpf', () => ({ bindings: undefined as Libbpf | undefined, failure: undefined as string | undefined }));

/** Loads libbpf.so.1 on first use; throws `E_EBPF_UNAVAILABLE` saying what is missing. */
export function libbpf(): Libbpf {
  if (state.bindings) return state.bindings;
  if (state.failure) throw new EbpfError(EbpfErrorCode.Unavailable, state.failure);
  const koffi = loadKoffi();
  let lib: ReturnType<Koffi['load']>;
  let libc: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load('libbpf.so.1');
    libc = koffi.load('libc.so.6');
  } catch (cause) {
    state.failure = 'libbpf.so.1 could not be loaded: install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1; Fedora: dnf install libbpf)';
    throw new EbpfError(EbpfErrorCode.Unavailable, state.failure, { cause });
  }
  const structs = declareStructs(koffi);
  const f = (proto: string) => lib.func(proto) as unknown as (...args: never[]) => never;
  const c = (proto: string) => libc.func(proto) as unknown as (...args: never[]) => never;
  const major = f('uint32_t libbpf_major_version(void)') as () => number;
  const minor = f('uint32_t libbpf_minor_version(void)') as () => number;
  if (major() < 1) {
    state.failure = `libbpf ${major()}.${minor()} is too old: install libbpf 1.0 or newer`;
    throw new EbpfError(EbpfErrorCode.Unavailable, state.failure);
  }
  const bindings: Libbpf = {
    koffi,
    structs,
    version: `${major()}.${minor()}`,
    objectOpenFile: f('bpf_object *bpf_object__open_file(const char *path, const bpf_object_open_opts *opts)'),
    objectOpenMem: f('bpf_object *bpf_object__open_mem(void *buf, size_t size, const bpf_object_open_opts *opts)'),
    objectLoad: f('int bpf_object__load(bpf_object *obj)'),
    objectClose: f('void bpf_object__close(bpf_object *obj)'),
    objectName: f('const char *bpf_object__name(const bpf_object *obj)'),
    objectNextProgram: f('bpf_program *bpf_object__next_program(const bpf_object *obj, bpf_program *prev)'),
    objectNextMap: f('bpf_map *bpf_object__next_map(const bpf_object *obj, const bpf_map *prev)'),
    objectBtf: f('btf *bpf_object__btf(const bpf_object *obj)'),

    programName: f('const char *bpf_program__name(const bpf_program *prog)'),
    programSectionName: f('const char *bpf_program__section_name(const bpf_program *prog)'),
    programFd: f('int bpf_program__fd(const bpf_program *prog)'),
    programType: f('int bpf_program__type(const bpf_program *prog)'),
    programSetAutoload: f('int bpf_program__set_autoload(bpf_program *prog, bool autoload)'),
    programSetLogLevel: f('int bpf_program__set_log_level(bpf_program *prog, uint32_t level)'),
    programSetLogBuf: f('int bpf_program__set_log_buf(bpf_program *prog, void *buf, size_t size)'),
    programInsnCount: f('size_t bpf_program__insn_cnt(const bpf_program *prog)'),

    mapName: f('const char *bpf_map__name(const bpf_map *map)'),
    mapFd: f('int bpf_map__fd(const bpf_map *map)'),
    mapType: f('int bpf_map__type(const bpf_map *map)'),
    mapKeySize: f('uint32_t bpf_map__key_size(const bpf_map *map)'),
    mapValueSize: f('uint32_t bpf_map__value_size(const bpf_map *map)'),
    mapMaxEntries: f('uint32_t bpf_map__max_entries(const bpf_map *map)'),
    mapSetMaxEntries: f('int bpf_map__set_max_entries(bpf_map *map, uint32_t max_entries)'),
    mapReuseFd: f('int bpf_map__reuse_fd(bpf_map *map, int fd)'),
    mapPin: f('int bpf_map__pin(bpf_map *map, const char *path)'),
    mapUnpin: f('int bpf_map__unpin(bpf_map *map, const char *path)'),

    mapLookupElem: f('int bpf_map_lookup_elem(int fd, const void *key, _Out_ void *value)'),
    mapUpdateElem: f('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    mapDeleteElem: f('int bpf_map_delete_elem(int fd, const void *key)'),
    mapGetNextKey: f('int bpf_map_get_next_key(int fd, const void *key, _Out_ void *next_key)'),
    mapLookupBatch: f(
      'int bpf_map_lookup_batch(int fd, void *in_batch, _Out_ void *out_batch, _Out_ void *keys, _Out_ void *values, _Inout_ uint32_t *count, const bpf_map_batch_opts *opts)',
    ),
    mapLookupAndDeleteBatch: f(
      'int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, _Out_ void *out_batch, _Out_ void *keys, _Out_ void *values, _Inout_ uint32_t *count, const bpf_map_batch_opts *opts)',
    ),
    mapUpdateBatch: f('int bpf_map_update_batch(int fd, const void *keys, const void *values, _Inout_ uint32_t *count, const bpf_map_batch_opts *opts)'),
    mapDeleteBatch: f('int bpf_map_delete_batch(int fd, const void *keys, _Inout_ uint32_t *count, const bpf_map_batch_opts *opts)'),

    objPin: f('int bpf_obj_pin(int fd, const char *pathname)'),
    objGet: f('int bpf_obj_get(const char *pathname)'),
    objGetInfoByFd: f('int bpf_obj_get_info_by_fd(int fd, _Out_ void *info, _Inout_ uint32_t *info_len)'),
    enableStats: f('int bpf_enable_stats(int type)'),
    progTestRun: f('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)'),

    xdpAttach: f('int bpf_xdp_attach(int ifindex, int prog_fd, uint32_t flags, const bpf_xdp_attach_opts *opts)'),
    xdpDetach: f('int bpf_xdp_detach(int ifindex, uint32_t flags, const bpf_xdp_attach_opts *opts)'),
    xdpQuery: f('int bpf_xdp_query(int ifindex, int flags, _Inout_ bpf_xdp_query_opts *opts)'),
    linkCreate: f('int bpf_link_create(int prog_fd, int target_fd, int attach_type, const bpf_link_create_opts *opts)'),
    linkUpdate: f('int bpf_link_update(int link_fd, int new_prog_fd, const bpf_link_update_opts *opts)'),
    linkDetach: f('int bpf_link_detach(int link_fd)'),
    tcHookCreate: f('int bpf_tc_hook_create(bpf_tc_hook *hook)'),
    tcHookDestroy: f('int bpf_tc_hook_destroy(bpf_tc_hook *hook)'),
    tcAttach: f('int bpf_tc_attach(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)'),
    tcDetach: f('int bpf_tc_detach(const bpf_tc_hook *hook, const bpf_tc_opts *opts)'),
    tcQuery: f('int bpf_tc_query(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)'),
    probeProgType: f('int libbpf_probe_bpf_prog_type(int prog_type, const void *opts)'),
    probeMapType: f('int libbpf_probe_bpf_map_type(int map_type, const void *opts)'),
    numPossibleCpus: f('int libbpf_num_possible_cpus(void)'),

    btfParseElf: f('btf *btf__parse_elf(const char *path, void *btf_ext)'),
    btfFree: f('void btf__free(btf *btf)'),
    btfFindByNameKind: f('int btf__find_by_name_kind(const btf *btf, const char *type_name, uint32_t kind)'),
    btfTypeById: f('void *btf__type_by_id(const btf *btf, uint32_t id)'),
    btfNameByOffset: f('const char *btf__name_by_offset(const btf *btf, uint32_t offset)'),
    btfResolveSize: f('int64_t btf__resolve_size(const btf *btf, uint32_t type_id)'),
    btfTypeCount: f('uint32_t btf__type_cnt(const btf *btf)'),

    close: c('int close(int fd)'),
    mmap: c('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: c('int munmap(void *addr, size_t length)'),
    ifNameToIndex: c('uint32_t if_nametoindex(const char *ifname)'),
    mount: c('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    statfs: c('int statfs(const char *path, _Out_ void *buf)'),
    setsockopt: c('int setsockopt(int fd, int level, int optname, const void *optval, uint32_t optlen)'),
    sysconf: c('long sysconf(int name)'),
  } as Libbpf;
  installPrintCallback(koffi, lib, libc);
  state.bindings = bindings;
  return bindings;
}

/** Whether libbpf loads here, and why not when it does not (never throws). */
export function libbpfStatus(): { readonly available: true; readonly version: string } | { readonly available: false; readonly reason: string } {
  try {
    return { available: true, version: libbpf().version };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
