import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';

/** Something attached that can be removed. */
export interface Attachment {
  /** What is attached where, for messages and logs. */
  readonly description: string;
  /** Removes the attachment. Idempotent. */
  detach(): void;
}

/**
 * A BPF link: an attachment the kernel ties to a file descriptor. It goes away when the last fd
 * closes — when this process exits, even by a crash — unless it is pinned on bpffs. Prefer links
 * to netlink attachment for that reason: a crash cannot leave an orphan program behind.
 */
export class BpfLink implements Attachment {
  readonly description: string;
  readonly #lib: Libbpf;
  #fd: number | undefined;

  /** @internal Wraps a link fd this process owns. */
  constructor(lib: Libbpf, fd: number, description: string) {
    this.#lib = lib;
    this.#fd = fd;
    this.description = description;
  }

  /** Opens a link pinned on bpffs (e.g. by a previous run). */
  static fromPinned(path: string): BpfLink {
    const lib = libbpf();
    const fd = lib.objGet(path);
    if (fd < 0) throw new EbpfError(codeForErrno(-fd, EbpfErrorCode.Bpffs), `no BPF link is pinned at '${path}'${describeErrno(-fd)}`, { errno: -fd });
    return new BpfLink(lib, fd, `link pinned at ${path}`);
  }

  /** The link's fd; throws `E_EBPF_CLOSED` after detach/close. */
  get fd(): number {
    if (this.#fd === undefined) throw new EbpfError(EbpfErrorCode.Closed, `${this.description}: the link was closed`);
    return this.#fd;
  }

  /** True until detached or closed. */
  get open(): boolean {
    return this.#fd !== undefined;
  }

  /** Atomically replaces the link's program with another of the same type (no packet misses either). */
  update(programFd: number): void {
    const ret = this.#lib.linkUpdate(this.fd, programFd, null);
    if (ret < 0) throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not update ${this.description}${describeErrno(-ret)}`, { errno: -ret });
  }

  /** Pins the link on bpffs: the program stays attached after this process exits, until unpinned. */
  pin(path: string): void {
    const ret = this.#lib.objPin(this.fd, path);
    if (ret < 0) throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Bpffs), `could not pin ${this.description} at '${path}'${describeErrno(-ret)}`, { errno: -ret });
  }

  /** Detaches the program (even if the link is pinned elsewhere) and closes the fd. Idempotent. */
  detach(): void {
    if (this.#fd === undefined) return;
    this.#lib.linkDetach(this.#fd);
    this.close();
  }

  /** Closes this process's fd: the program stays attached only if the link is pinned. Idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    this.#lib.close(this.#fd);
    this.#fd = undefined;
  }
}
