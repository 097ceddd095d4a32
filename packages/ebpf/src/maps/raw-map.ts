import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import type { Layout } from '../layout/layout.js';
import { BpfMap, PerCpuBpfMap } from './bpf-map.js';
import { BATCH_MAP_TYPES, PER_CPU_MAP_TYPES, UpdateFlag, mapTypeName, type BpfMapType } from './map-types.js';

/** What a map is: its name, type and sizes. */
export interface MapInfo {
  readonly name: string;
  readonly type: BpfMapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** Where a map's fd comes from: its object (valid while the object is open), or owned by the map. */
export interface FdSource {
  /** The fd, or throws `E_EBPF_CLOSED` / a not-loaded error. */
  fd(): number;
  /** Closes the fd when the map owns it. */
  close(): void;
}

const ENOENT = 2;
const ENOSPC = 28;
const BPF_OBJ_INFO_MAP_LEN = 88;

let cpuCount: number | undefined;

/** Possible CPUs (the length of a per-CPU map value array). */
export function possibleCpus(): number {
  cpuCount ??= libbpf().numPossibleCpus();
  return cpuCount;
}

/**
 * A map seen as raw bytes: every call is one bpf(2) syscall (or one per batch), with the key and
 * value bytes passed straight from the buffers. {@link RawBpfMap.typed} gives a {@link BpfMap}.
 */
export class RawBpfMap {
  readonly info: MapInfo;
  /** True for per-CPU maps: values are `valueSize` rounded up to 8, once per possible CPU. */
  readonly perCpu: boolean;
  /** Bytes of one value as the syscalls see it (all CPUs for per-CPU maps). */
  readonly valueStride: number;
  readonly #source: FdSource;
  readonly #lib: Libbpf;

  constructor(source: FdSource, info: MapInfo) {
    this.#lib = libbpf();
    this.#source = source;
    this.info = info;
    this.perCpu = PER_CPU_MAP_TYPES.has(info.type);
    this.valueStride = this.perCpu ? Math.ceil(info.valueSize / 8) * 8 * possibleCpus() : info.valueSize;
  }

  /**
   * Opens a map pinned on bpffs; the returned map owns its fd (close it). Used to share maps between
   * processes or across restarts.
   */
  static fromPinned(path: string): RawBpfMap {
    const lib = libbpf();
    const fd = lib.objGet(path);
    if (fd < 0) {
      const errno = -fd;
      throw new EbpfError(codeForErrno(errno, EbpfErrorCode.Bpffs), `no BPF map is pinned at '${path}'${describeErrno(errno)}`, { errno });
    }
    const info = Buffer.alloc(BPF_OBJ_INFO_MAP_LEN);
    const ret = lib.objGetInfoByFd(fd, info, [info.length]);
    if (ret < 0) {
      lib.close(fd);
      throw new EbpfError(EbpfErrorCode.Map, `'${path}' is not a BPF map${describeErrno(-ret)}`, { errno: -ret });
    }
    let closed = false;
    const source: FdSource = {
      fd: () => {
        if (closed) throw new EbpfError(EbpfErrorCode.Closed, `the map opened from '${path}' was closed; open it again`);
        return fd;
      },
      close: () => {
        if (!closed) lib.close(fd);
        closed = true;
      },
    };
    return new RawBpfMap(source, {
      name: info.toString('utf8', 24, 40).replace(/\0.*$/s, ''),
      type: mapTypeName(info.readUInt32LE(0)),
      keySize: info.readUInt32LE(8),
      valueSize: info.readUInt32LE(12),
      maxEntries: info.readUInt32LE(16),
    });
  }

  /** This map with typed keys and values; throws `E_EBPF_LAYOUT` when the layouts' sizes differ from the map's. */
  typed<K, V>(key: Layout<K>, value: Layout<V>): BpfMap<K, V> {
    return new BpfMap(this, key, value);
  }

  /** This per-CPU map with typed keys and values. */
  perCpuTyped<K, V>(key: Layout<K>, value: Layout<V>): PerCpuBpfMap<K, V> {
    return new PerCpuBpfMap(this, key, value);
  }

  /** The map's fd (valid while its object is open). */
  get fd(): number {
    return this.#source.fd();
  }

  /** The value of `key`, or `undefined` when it is absent. */
  lookup(key: Uint8Array): Buffer | undefined {
    const value = Buffer.alloc(this.valueStride);
    return this.lookupInto(key, value) ? value : undefined;
  }

  /** Looks `key` up into `value` (at least `valueStride` bytes); false when absent. No allocation. */
  lookupInto(key: Uint8Array, value: Uint8Array): boolean {
    const ret = this.#lib.mapLookupElem(this.fd, key, value);
    if (ret === -ENOENT) return false;
    if (ret < 0) this.#fail('lookup', ret);
    return true;
  }

  /** Sets `key` to `value`; `flags` is {@link UpdateFlag} (default: create or replace). */
  update(key: Uint8Array, value: Uint8Array, flags: bigint = UpdateFlag.Any): void {
    const ret = this.#lib.mapUpdateElem(this.fd, key, value, flags);
    if (ret < 0) this.#fail('update', ret);
  }

  /** Deletes `key`; false when it was absent. */
  delete(key: Uint8Array): boolean {
    const ret = this.#lib.mapDeleteElem(this.fd, key);
    if (ret === -ENOENT) return false;
    if (ret < 0) this.#fail('delete', ret);
    return true;
  }

  /** Iterates the keys (BPF_MAP_GET_NEXT_KEY). Concurrent deletes may restart a hash map's walk. */
  *keys(): Generator<Buffer> {
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.info.keySize);
      const ret = this.#lib.mapGetNextKey(this.fd, prev, next);
      if (ret === -ENOENT) return;
      if (ret < 0) this.#fail('iterate', ret);
      yield next;
      prev = next;
    }
  }

  /** Whether batch operations work on this map type. */
  get supportsBatch(): boolean {
    return BATCH_MAP_TYPES.has(this.info.type);
  }

  /**
   * Every entry: with BPF_MAP_LOOKUP_BATCH where the map type supports it (one syscall per
   * batch), else key by key. With `andDelete`, entries are removed as they are read (atomically
   * per batch for batch-capable maps).
   */
  entries(options: { readonly andDelete?: boolean; readonly batchSize?: number } = {}): Array<[Buffer, Buffer]> {
    if (!this.supportsBatch) {
      const out: Array<[Buffer, Buffer]> = [];
      for (const key of [...this.keys()]) {
        const value = this.lookup(key);
        if (value) out.push([key, value]);
        if (options.andDelete) this.delete(key);
      }
      return out;
    }
    const out: Array<[Buffer, Buffer]> = [];
    let size = Math.max(1, Math.min(options.batchSize ?? 1024, this.info.maxEntries));
    const token = Math.max(8, this.info.keySize);
    let inBatch: Buffer | null = null;
    const outBatch = Buffer.alloc(token);
    const call = options.andDelete ? this.#lib.mapLookupAndDeleteBatch : this.#lib.mapLookupBatch;
    for (;;) {
      const keys = Buffer.alloc(size * this.info.keySize);
      const values = Buffer.alloc(size * this.valueStride);
      const count = [size];
      const ret = call(this.fd, inBatch, outBatch, keys, values, count, null);
      if (ret === -ENOSPC && count[0] === 0) {
        size *= 2; // a hash bucket holds more entries than the batch: retry with room for it
        continue;
      }
      if (ret < 0 && ret !== -ENOENT) this.#fail('batch lookup', ret);
      const n = count[0] ?? 0;
      for (let i = 0; i < n; i++) {
        out.push([
          keys.subarray(i * this.info.keySize, (i + 1) * this.info.keySize),
          values.subarray(i * this.valueStride, (i + 1) * this.valueStride),
        ]);
      }
      if (ret === -ENOENT) return out;
      inBatch = Buffer.from(outBatch);
    }
  }

  /** Sets many entries in one syscall where supported (else one by one). */
  updateBatch(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, flags: bigint = UpdateFlag.Any): void {
    if (entries.length === 0) return;
    if (!this.supportsBatch) {
      for (const [k, v] of entries) this.update(k, v, flags);
      return;
    }
    const keys = Buffer.concat(entries.map(([k]) => k));
    const values = Buffer.concat(entries.map(([, v]) => v));
    const count = [entries.length];
    const ret = this.#lib.mapUpdateBatch(this.fd, keys, values, count, { sz: 24, elem_flags: flags, flags: 0n });
    if (ret < 0) this.#fail(`batch update (${count[0]} of ${entries.length} done)`, ret);
  }

  /** Deletes many keys in one syscall where supported; returns how many were deleted (absent keys are skipped). */
  deleteBatch(keys: readonly Uint8Array[]): number {
    if (keys.length === 0) return 0;
    if (!this.supportsBatch || this.info.type.includes('array')) return keys.filter((k) => this.delete(k)).length;
    const count = [keys.length];
    const ret = this.#lib.mapDeleteBatch(this.fd, Buffer.concat(keys), count, null);
    const done = count[0] ?? 0;
    // the kernel stops at the first absent key: carry on after it, key by key
    if (ret === -ENOENT) return done + keys.slice(done + 1).filter((k) => this.delete(k)).length;
    if (ret < 0) this.#fail('batch delete', ret);
    return done;
  }

  /** Deletes every entry; returns how many there were. */
  clear(): number {
    if (this.info.type.includes('array')) return 0; // array entries cannot be deleted
    return this.deleteBatch([...this.keys()]);
  }

  /** Pins the map at `path` on bpffs, so it outlives this process. */
  pin(path: string): void {
    const ret = this.#lib.objPin(this.fd, path);
    if (ret < 0) {
      throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Bpffs), `could not pin map '${this.info.name}' at '${path}'${describeErrno(-ret)}`, {
        errno: -ret,
      });
    }
  }

  /** Closes the fd of a map opened with {@link RawBpfMap.fromPinned}; a no-op for object maps. */
  close(): void {
    this.#source.close();
  }

  #fail(op: string, ret: number): never {
    const errno = -ret;
    throw new EbpfError(codeForErrno(errno, EbpfErrorCode.Map), `${op} on map '${this.info.name}' (${this.info.type}) failed${describeErrno(errno)}`, {
      errno,
    });
  }
}
