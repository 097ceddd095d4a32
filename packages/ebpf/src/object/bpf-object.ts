import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { Btf } from '../layout/btf.js';
import type { Pointer } from '../native/koffi.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import { captureLibbpfLog } from '../native/print.js';
import { mapTypeName } from '../maps/map-types.js';
import { RawBpfMap } from '../maps/raw-map.js';
import { BpfProgram } from './bpf-program.js';

/** Options of {@link BpfObject.open}. */
export interface BpfObjectOpenOptions {
  /** The object's name (default: from the file name). */
  readonly name?: string;
  /** Where maps declared with `LIBBPF_PIN_BY_NAME` are pinned (default `/sys/fs/bpf`). */
  readonly pinRoot?: string;
}

/** Options of {@link BpfObject.load}. */
export interface BpfObjectLoadOptions {
  /**
   * Verifier log level for every program: 0 asks for a log only when a program is rejected (the
   * default); 1 and 2 log every program; 4 adds statistics. Logs are in `program.verifierLog`.
   */
  readonly logLevel?: number;
  /** Bytes of each program's log buffer (default 4 MiB); a longer log keeps its end. */
  readonly logSize?: number;
  /** `max_entries` to set on maps before they are created, by map name. */
  readonly maxEntries?: Readonly<Record<string, number>>;
  /** Maps of this object to replace with existing ones (shared with another object or pinned), by name. */
  readonly reuseMaps?: Readonly<Record<string, RawBpfMap>>;
  /** Programs not to load, by name. */
  readonly skipPrograms?: readonly string[];
}

const DEFAULT_LOG_SIZE = 4 * 1024 * 1024;

/**
 * A BPF object file (an ELF built by clang -target bpf) opened with libbpf: its programs and maps.
 * Open it, optionally adjust maps, load it (maps are created and programs verified), use it, close
 * it. Programs stay attached through their links after the object closes, until the links close.
 *
 * ```ts
 * import { BpfObject } from '@hypermesh/ebpf';
 *
 * const obj = BpfObject.open('counter.bpf.o').load();
 * try {
 *   console.log(obj.programs().map((p) => `${p.name} (${p.type})`));
 * } finally {
 *   obj.close();
 * }
 * ```
 */
export class BpfObject {
  /** The object's name. */
  readonly name: string;
  /** The file it was opened from, if any. */
  readonly path: string | undefined;
  readonly #lib: Libbpf;
  #handle: Pointer | undefined;
  #image: Pointer | undefined;
  #loaded = false;
  readonly #programs = new Map<string, BpfProgram>();
  readonly #maps = new Map<string, RawBpfMap>();
  readonly #mapHandles = new Map<string, Pointer>();

  private constructor(lib: Libbpf, handle: Pointer, path: string | undefined, image: Pointer | undefined) {
    this.#lib = lib;
    this.#handle = handle;
    this.#image = image;
    this.path = path;
    this.name = lib.objectName(handle);
    for (let p = lib.objectNextProgram(handle, null); p; p = lib.objectNextProgram(handle, p)) {
      const program = new BpfProgram(lib, p, () => this.#live('use a program of'));
      this.#programs.set(program.name, program);
    }
    for (let m = lib.objectNextMap(handle, null); m; m = lib.objectNextMap(handle, m)) {
      const handleOfMap = m;
      const name = lib.mapName(m);
      this.#mapHandles.set(name, m);
      const map = new RawBpfMap(
        {
          fd: () => {
            this.#live(`use map '${name}' of`);
            if (!this.#loaded) throw new EbpfError(EbpfErrorCode.Closed, `map '${name}' of '${this.name}' has no fd until the object is loaded: call load() first`);
            return lib.mapFd(handleOfMap);
          },
          close: () => undefined,
        },
        {
          name,
          type: mapTypeName(lib.mapType(m)),
          keySize: lib.mapKeySize(m),
          valueSize: lib.mapValueSize(m),
          maxEntries: lib.mapMaxEntries(m),
        },
      );
      this.#maps.set(name, map);
    }
  }

  /** Opens an object file. Nothing is created in the kernel until {@link BpfObject.load}. */
  static open(path: string, options: BpfObjectOpenOptions = {}): BpfObject {
    const lib = libbpf();
    const { result, log } = captureLibbpfLog(() => lib.objectOpenFile(path, openOpts(lib, options)));
    if (!result) throw openError(lib, `could not open BPF object '${path}'`, log);
    return new BpfObject(lib, result, path, undefined);
  }

  /** Opens an object from memory (e.g. read from a package's files). */
  static openBuffer(image: Uint8Array, options: BpfObjectOpenOptions = {}): BpfObject {
    const lib = libbpf();
    // libbpf keeps reading the image until the object is closed: it must be native memory.
    const mem = lib.koffi.alloc('uint8_t', image.length) as Pointer;
    new Uint8Array(lib.koffi.view(mem, image.length)).set(image);
    const { result, log } = captureLibbpfLog(() => lib.objectOpenMem(mem, image.length, openOpts(lib, options)));
    if (!result) {
      lib.koffi.free(mem);
      throw openError(lib, `could not open a ${image.length}-byte BPF object image`, log);
    }
    return new BpfObject(lib, result, undefined, mem);
  }

  /** True once loaded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Creates the maps and loads the programs. A rejected program throws `E_EBPF_VERIFIER` with the
   * verifier's log; missing privileges throw `E_EBPF_PERMISSION`.
   */
  load(options: BpfObjectLoadOptions = {}): this {
    const handle = this.#live('load');
    if (this.#loaded) return this;
    for (const [name, n] of Object.entries(options.maxEntries ?? {})) this.#setMaxEntries(name, n);
    for (const [name, map] of Object.entries(options.reuseMaps ?? {})) this.#reuse(name, map);
    for (const name of options.skipPrograms ?? []) this.program(name).setAutoload(false);
    const logSize = options.logSize ?? DEFAULT_LOG_SIZE;
    const buffers = [...this.#programs.values()].map((p) => p.prepareLog(options.logLevel ?? 0, logSize));
    try {
      const { result, log } = captureLibbpfLog(() => this.#lib.objectLoad(handle));
      for (const p of this.#programs.values()) p.collectLog();
      if (result < 0) throw this.#loadError(-result, log);
      this.#loaded = true;
      return this;
    } finally {
      for (const b of buffers) if (b) this.#lib.koffi.free(b);
    }
  }

  /** The program `name`; throws `E_EBPF_NOT_FOUND` listing the object's programs. */
  program(name: string): BpfProgram {
    const p = this.#programs.get(name);
    if (!p) throw notFound('program', name, this.name, [...this.#programs.keys()]);
    return p;
  }

  /** Every program of the object. */
  programs(): BpfProgram[] {
    return [...this.#programs.values()];
  }

  /** The map `name` (untyped: call `.typed(key, value)`); throws `E_EBPF_NOT_FOUND`. */
  map(name: string): RawBpfMap {
    const m = this.#maps.get(name);
    if (!m) throw notFound('map', name, this.name, [...this.#maps.keys()]);
    return m;
  }

  /** Every map of the object (including libbpf's internal .data/.rodata/.bss maps). */
  maps(): RawBpfMap[] {
    return [...this.#maps.values()];
  }

  /** The object's BTF (owned by the object: valid until it closes). */
  btf(): Btf {
    const btf = this.#lib.objectBtf(this.#live('read the BTF of'));
    if (!btf) throw new EbpfError(EbpfErrorCode.Btf, `object '${this.name}' has no BTF: build it with clang -g`);
    return Btf.borrowed(this.#lib, btf);
  }

  /** Unloads programs and maps this process holds (attached links keep their programs). Idempotent. */
  close(): void {
    if (!this.#handle) return;
    this.#lib.objectClose(this.#handle);
    this.#handle = undefined;
    if (this.#image) this.#lib.koffi.free(this.#image);
    this.#image = undefined;
  }

  #live(action: string): Pointer {
    if (!this.#handle) throw new EbpfError(EbpfErrorCode.Closed, `cannot ${action} BPF object '${this.name}': it was closed`);
    return this.#handle;
  }

  #setMaxEntries(name: string, n: number): void {
    this.map(name);
    const ret = this.#lib.mapSetMaxEntries(this.#mapHandles.get(name) as Pointer, n);
    if (ret < 0) throw new EbpfError(EbpfErrorCode.Map, `could not size map '${name}' to ${n} entries${describeErrno(-ret)}`, { errno: -ret });
  }

  #reuse(name: string, map: RawBpfMap): void {
    const own = this.map(name);
    const ret = this.#lib.mapReuseFd(this.#mapHandles.get(name) as Pointer, map.fd);
    if (ret < 0) {
      throw new EbpfError(
        EbpfErrorCode.Map,
        `map '${name}' of '${this.name}' cannot reuse map '${map.info.name}' (${map.info.type}): ` +
          `their definitions must match (this one is ${own.info.type})${describeErrno(-ret)}`,
        { errno: -ret },
      );
    }
  }

  #loadError(errno: number, log: string[]): EbpfError {
    const failed = log.join('').match(/prog '([^']+)': failed to load/)?.[1];
    const program = failed ? this.#programs.get(failed) : [...this.#programs.values()].find((p) => p.verifierLog);
    const verifierLog = program?.verifierLog;
    if (program && verifierLog) {
      const last = verifierLog.trimEnd().split('\n').slice(-3).join(' | ');
      return new EbpfError(
        EbpfErrorCode.Verifier,
        `the verifier rejected program '${program.name}' of '${this.name}'${describeErrno(errno)}: ${last} — see verifierLog for the whole log`,
        { errno, verifierLog, libbpfLog: log },
      );
    }
    const reason = log.filter((l) => l.trim()).slice(-2).join(' ').trim();
    return new EbpfError(codeForErrno(errno, EbpfErrorCode.Load), `could not load BPF object '${this.name}'${describeErrno(errno)}${reason ? `: ${reason}` : ''}`, {
      errno,
      libbpfLog: log,
    });
  }
}

function openOpts(lib: Libbpf, options: BpfObjectOpenOptions): object {
  return {
    sz: lib.structs.sizes.bpf_object_open_opts,
    object_name: options.name ?? null,
    relaxed_maps: false,
    pin_root_path: options.pinRoot ?? null,
    anonymous_u32: 0,
    kconfig: null,
    btf_custom_path: null,
    kernel_log_buf: null,
    kernel_log_size: 0,
    kernel_log_level: 0,
  };
}

function openError(lib: Libbpf, what: string, log: string[]): EbpfError {
  const errno = lib.koffi.errno();
  const reason = log.filter((l) => l.trim()).slice(-1)[0]?.trim();
  return new EbpfError(EbpfErrorCode.Open, `${what}${describeErrno(errno)}${reason ? `: ${reason}` : ''}`, { errno, libbpfLog: log });
}

function notFound(kind: string, name: string, object: string, available: string[]): EbpfError {
  return new EbpfError(EbpfErrorCode.NotFound, `BPF object '${object}' has no ${kind} '${name}'; it has: ${available.join(', ') || 'none'}`);
}
