import { attachSocketFilter } from '../attach/socket-filter.js';
import { attachTc, type TcAttachOptions, type TcAttachment } from '../attach/tc.js';
import { attachXdp, type XdpAttachOptions, type XdpAttachment } from '../attach/xdp.js';
import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import type { Pointer } from '../native/koffi.js';
import type { Libbpf } from '../native/libbpf.js';
import { programTypeName, type BpfProgramType } from '../maps/map-types.js';

/** Input of {@link BpfProgram.testRun} (BPF_PROG_TEST_RUN). */
export interface TestRunInput {
  /** The packet (with its Ethernet header for XDP and TC programs). */
  readonly data: Uint8Array;
  /** Runs; note that each run of an XDP program sees the previous run's rewritten packet. Default 1. */
  readonly repeat?: number;
  /** Room for the output packet (default: input length + 1 KiB, for programs that grow it). */
  readonly dataOutSize?: number;
  /** The program's context (e.g. `struct xdp_md` with an ingress ifindex), if any. */
  readonly context?: Uint8Array;
}

/** Output of {@link BpfProgram.testRun}. */
export interface TestRunResult {
  /** The program's return value (e.g. XDP_PASS = 2, XDP_TX = 3). */
  readonly retval: number;
  /** The packet as the program left it. */
  readonly data: Buffer;
  /** Average duration of one run, in nanoseconds, as the kernel measured it. */
  readonly durationNs: number;
}

/** A program's run statistics (counted while `enableRunStatistics()` holds stats on). */
export interface ProgramStatistics {
  /** The kernel's id of the loaded program. */
  readonly id: number;
  /** Times the program ran. */
  readonly runCount: number;
  /** Total time spent in the program, in nanoseconds. */
  readonly runTimeNs: number;
  /** Runs skipped because the program was already running on that CPU. */
  readonly recursionMisses: number;
  /** Instructions the verifier processed when loading it. */
  readonly verifiedInstructions: number;
}

const PROG_INFO_LEN = 232;

/**
 * A program of a {@link BpfObject}: attach it (XDP, TC, socket filter), run it on a test packet,
 * read its run statistics. Valid while its object is open.
 */
export class BpfProgram {
  /** The program's name (its C function name). */
  readonly name: string;
  /** Its ELF section (`xdp`, `tc`, `socket`, …), which tells libbpf its type. */
  readonly section: string;
  /** The verifier's log, when the load asked for one (logLevel > 0) or the program was rejected. */
  verifierLog: string | undefined;
  readonly #lib: Libbpf;
  readonly #handle: Pointer;
  readonly #live: () => void;
  #logBuffer: { readonly ptr: Pointer; readonly size: number } | undefined;

  /** @internal Made by {@link BpfObject}. */
  constructor(lib: Libbpf, handle: Pointer, live: () => void) {
    this.#lib = lib;
    this.#handle = handle;
    this.#live = live;
    this.name = lib.programName(handle);
    this.section = lib.programSectionName(handle);
  }

  /** The program type libbpf derived from its section. */
  get type(): BpfProgramType {
    this.#live();
    return programTypeName(this.#lib.programType(this.#handle));
  }

  /** The program's fd (valid while its object is open and loaded). */
  get fd(): number {
    this.#live();
    const fd = this.#lib.programFd(this.#handle);
    if (fd < 0) throw new EbpfError(EbpfErrorCode.Closed, `program '${this.name}' is not loaded: load its object first (or it was skipped)`);
    return fd;
  }

  /** @internal Whether load() loads this program. */
  setAutoload(autoload: boolean): void {
    this.#live();
    this.#lib.programSetAutoload(this.#handle, autoload);
  }

  /** @internal Gives the program a log buffer before load; returns it for the caller to free. */
  prepareLog(level: number, size: number): Pointer | undefined {
    const ptr = this.#lib.koffi.alloc('uint8_t', size) as Pointer;
    new Uint8Array(this.#lib.koffi.view(ptr, 1))[0] = 0;
    this.#lib.programSetLogBuf(this.#handle, ptr, size);
    this.#lib.programSetLogLevel(this.#handle, level);
    this.#logBuffer = { ptr, size };
    return ptr;
  }

  /** @internal Reads the log after load, before the buffer is freed. */
  collectLog(): void {
    if (!this.#logBuffer) return;
    const text = this.#lib.koffi.decode.string(this.#logBuffer.ptr);
    this.verifierLog = text.length > 0 ? text : undefined;
    this.#lib.programSetLogBuf(this.#handle, null, 0);
    this.#logBuffer = undefined;
  }

  /** Attaches this XDP program to an interface (bpf_link by default, generic mode by default). */
  attachXdp(iface: string | number, options: XdpAttachOptions = {}): XdpAttachment {
    return attachXdp(this.#lib, this.fd, this.name, iface, options);
  }

  /** Attaches this TC (sched_cls) program to an interface's ingress or egress. */
  attachTc(iface: string | number, options: TcAttachOptions = {}): TcAttachment {
    return attachTc(this.#lib, this.fd, this.name, iface, options);
  }

  /** Attaches this socket filter to a socket (SO_ATTACH_BPF); the socket holds a reference. */
  attachSocketFilter(socketFd: number): void {
    attachSocketFilter(this.#lib, this.fd, this.name, socketFd);
  }

  /** Runs the program once (or `repeat` times) on a packet in the kernel, attached nowhere. */
  testRun(input: TestRunInput): TestRunResult {
    const out = Buffer.alloc(input.dataOutSize ?? input.data.length + 1024);
    const opts = {
      sz: this.#lib.structs.sizes.bpf_test_run_opts,
      data_in: input.data,
      data_out: out,
      data_size_in: input.data.length,
      data_size_out: out.length,
      ctx_in: input.context ?? null,
      ctx_out: null,
      ctx_size_in: input.context?.length ?? 0,
      ctx_size_out: 0,
      retval: 0,
      repeat: input.repeat ?? 1,
      duration: 0,
      flags: 0,
      cpu: 0,
      batch_size: 0,
    };
    const ret = this.#lib.progTestRun(this.fd, opts);
    if (ret < 0) {
      throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.TestRun), `BPF_PROG_TEST_RUN of '${this.name}' failed${describeErrno(-ret)}`, {
        errno: -ret,
      });
    }
    return { retval: opts.retval, data: out.subarray(0, opts.data_size_out), durationNs: opts.duration };
  }

  /** The kernel's counters for this program (run counts need `enableRunStatistics()`). */
  statistics(): ProgramStatistics {
    const info = Buffer.alloc(PROG_INFO_LEN);
    const ret = this.#lib.objGetInfoByFd(this.fd, info, [info.length]);
    if (ret < 0) throw new EbpfError(EbpfErrorCode.Load, `could not read the info of program '${this.name}'${describeErrno(-ret)}`, { errno: -ret });
    return {
      id: info.readUInt32LE(4),
      runTimeNs: Number(info.readBigUInt64LE(192)),
      runCount: Number(info.readBigUInt64LE(200)),
      recursionMisses: Number(info.readBigUInt64LE(208)),
      verifiedInstructions: info.readUInt32LE(216),
    };
  }

  /** Pins the loaded program on bpffs (it stays loaded, not attached, after this process exits). */
  pin(path: string): void {
    const ret = this.#lib.objPin(this.fd, path);
    if (ret < 0) {
      throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Bpffs), `could not pin program '${this.name}' at '${path}'${describeErrno(-ret)}`, {
        errno: -ret,
      });
    }
  }
}
