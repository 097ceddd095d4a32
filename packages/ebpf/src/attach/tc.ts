import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import { ifindexOf } from '../system/interfaces.js';
import { BpfLink, type Attachment } from './link.js';

/** Options of `program.attachTc`. */
export interface TcAttachOptions {
  /** Default `ingress`. */
  readonly direction?: 'ingress' | 'egress';
  /**
   * `tcx`: a bpf_link on the TCX hook (kernel ≥ 6.6), detached when this process exits.
   * `clsact`: a filter on the clsact qdisc (created when missing), which stays until detached.
   * `auto` (default): tcx where the kernel has it, else clsact.
   */
  readonly via?: 'auto' | 'tcx' | 'clsact';
  /** clsact only: the filter's priority (default: chosen by the kernel). */
  readonly priority?: number;
  /** clsact only: the filter's handle (default: chosen by the kernel). */
  readonly handle?: number;
  /** clsact only: replace a filter with the same handle and priority. */
  readonly replace?: boolean;
}

const BPF_TC_INGRESS = 1;
const BPF_TC_EGRESS = 2;
const BPF_TC_F_REPLACE = 1;
const BPF_TCX_INGRESS = 46;
const BPF_TCX_EGRESS = 47;
const EEXIST = 17;

/** A TC program attached as a filter on the clsact qdisc. */
export class ClsactAttachment implements Attachment {
  readonly description: string;
  /** The filter's handle and priority, as the kernel assigned them. */
  readonly handle: number;
  readonly priority: number;
  readonly #lib: Libbpf;
  readonly #hook: object;
  #attached = true;

  /** @internal */
  constructor(lib: Libbpf, hook: object, handle: number, priority: number, description: string) {
    this.#lib = lib;
    this.#hook = hook;
    this.handle = handle;
    this.priority = priority;
    this.description = description;
  }

  /** Removes the filter (the clsact qdisc stays: other filters may use it). Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const opts = { sz: this.#lib.structs.sizes.bpf_tc_opts, prog_fd: 0, flags: 0, prog_id: 0, handle: this.handle, priority: this.priority };
    const ret = this.#lib.tcDetach(this.#hook, opts);
    if (ret < 0 && ret !== -2 && ret !== -19) {
      throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not detach ${this.description}${describeErrno(-ret)}`, { errno: -ret });
    }
  }
}

/** A TC attachment: a TCX {@link BpfLink} or a clsact filter. */
export type TcAttachment = BpfLink | ClsactAttachment;

/** @internal Attaches a sched_cls program fd; see `BpfProgram.attachTc`. */
export function attachTc(lib: Libbpf, programFd: number, name: string, iface: string | number, options: TcAttachOptions): TcAttachment {
  const ifindex = ifindexOf(lib, iface);
  const direction = options.direction ?? 'ingress';
  const via = options.via ?? 'auto';
  const where = `${typeof iface === 'string' ? `'${iface}'` : `ifindex ${iface}`} ${direction}`;
  if (via !== 'clsact') {
    const opts = { sz: lib.structs.sizes.bpf_link_create_opts, flags: 0, target: new Array(52).fill(0) };
    const fd = lib.linkCreate(programFd, ifindex, direction === 'ingress' ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, opts);
    if (fd >= 0) return new BpfLink(lib, fd, `TC program '${name}' on ${where} (tcx)`);
    if (via === 'tcx') {
      throw new EbpfError(codeForErrno(-fd, EbpfErrorCode.Attach), `could not attach TC program '${name}' on ${where} via tcx${describeErrno(-fd)}: TCX needs Linux 6.6`, {
        errno: -fd,
      });
    }
  }
  const description = `TC program '${name}' on ${where} (clsact)`;
  const hook = { sz: lib.structs.sizes.bpf_tc_hook, ifindex, attach_point: direction === 'ingress' ? BPF_TC_INGRESS : BPF_TC_EGRESS, parent: 0 };
  const created = lib.tcHookCreate(hook);
  if (created < 0 && created !== -EEXIST) {
    throw new EbpfError(codeForErrno(-created, EbpfErrorCode.Attach), `could not create the clsact qdisc for ${description}${describeErrno(-created)}`, {
      errno: -created,
    });
  }
  const opts = {
    sz: lib.structs.sizes.bpf_tc_opts,
    prog_fd: programFd,
    flags: options.replace ? BPF_TC_F_REPLACE : 0,
    prog_id: 0,
    handle: options.handle ?? 0,
    priority: options.priority ?? 0,
  };
  const ret = lib.tcAttach(hook, opts);
  if (ret < 0) throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not attach ${description}${describeErrno(-ret)}`, { errno: -ret });
  return new ClsactAttachment(lib, hook, opts.handle, opts.priority, description);
}

/** Removes an interface's clsact qdisc and every filter on it (ingress and egress). */
export function removeClsact(iface: string | number): void {
  const lib = libbpf();
  const hook = { sz: lib.structs.sizes.bpf_tc_hook, ifindex: ifindexOf(lib, iface), attach_point: BPF_TC_INGRESS | BPF_TC_EGRESS, parent: 0 };
  const ret = lib.tcHookDestroy(hook);
  if (ret < 0 && ret !== -2 && ret !== -22) {
    throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not remove the clsact qdisc of '${iface}'${describeErrno(-ret)}`, { errno: -ret });
  }
}
