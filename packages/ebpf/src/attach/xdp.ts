import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import { ifindexOf } from '../system/interfaces.js';
import { BpfLink, type Attachment } from './link.js';

/** Where XDP runs: `generic` (after the driver, any device), `native` (in the driver), `offload` (on the NIC). */
export type XdpMode = 'generic' | 'native' | 'offload';

/** Options of `program.attachXdp`. */
export interface XdpAttachOptions {
  /** Default `generic`, which works on every device; `native` needs driver support. */
  readonly mode?: XdpMode;
  /**
   * `link` (default): a bpf_link, detached automatically when this process exits. `netlink`: the
   * older attachment, which stays after the process exits until detached.
   */
  readonly via?: 'link' | 'netlink';
  /**
   * netlink only: replace whatever program is attached in this mode (without it, attaching where a
   * program is already attached fails with EBUSY). A number replaces only that program fd, atomically.
   */
  readonly replace?: boolean | number;
}

/** What `xdpQuery` reports for an interface. */
export interface XdpStatus {
  /** The mode programs are attached in (`multi`: several modes at once). */
  readonly attached: 'none' | XdpMode | 'multi';
  /** Program ids per mode (0 when none). */
  readonly programIds: { readonly generic: number; readonly native: number; readonly offload: number };
}

const FLAG = { updateIfNoExist: 1, skb: 2, drv: 4, hw: 8, replace: 16 };
const MODE_FLAG: Record<XdpMode, number> = { generic: FLAG.skb, native: FLAG.drv, offload: FLAG.hw };
const BPF_XDP = 37;

/** An XDP program attached through netlink (stays attached until detached). */
export class XdpNetlinkAttachment implements Attachment {
  readonly description: string;
  readonly #lib: Libbpf;
  readonly #ifindex: number;
  readonly #flags: number;
  readonly #programFd: number;
  #attached = true;

  /** @internal */
  constructor(lib: Libbpf, ifindex: number, flags: number, programFd: number, description: string) {
    this.#lib = lib;
    this.#ifindex = ifindex;
    this.#flags = flags;
    this.#programFd = programFd;
    this.description = description;
  }

  /** Detaches the program, only if it is still the one attached (XDP_FLAGS_REPLACE). Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const opts = { sz: this.#lib.structs.sizes.bpf_xdp_attach_opts, old_prog_fd: this.#programFd };
    const ret = this.#lib.xdpDetach(this.#ifindex, this.#flags | FLAG.replace, opts);
    if (ret < 0 && ret !== -19 /* ENODEV: the interface is gone */ && ret !== -17 /* EEXIST: replaced since */) {
      throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not detach ${this.description}${describeErrno(-ret)}`, { errno: -ret });
    }
  }
}

/** An XDP attachment: a {@link BpfLink} or a netlink attachment. */
export type XdpAttachment = BpfLink | XdpNetlinkAttachment;

/** @internal Attaches an XDP program fd; see `BpfProgram.attachXdp`. */
export function attachXdp(lib: Libbpf, programFd: number, name: string, iface: string | number, options: XdpAttachOptions): XdpAttachment {
  const ifindex = ifindexOf(lib, iface);
  const mode = options.mode ?? 'generic';
  const description = `XDP program '${name}' on ${typeof iface === 'string' ? `'${iface}'` : `ifindex ${iface}`} (${mode})`;
  if ((options.via ?? 'link') === 'link') {
    if (options.replace !== undefined) {
      throw new EbpfError(EbpfErrorCode.Attach, `${description}: 'replace' applies to netlink attachment; replace a link's program with link.update()`);
    }
    const opts = { sz: lib.structs.sizes.bpf_link_create_opts, flags: MODE_FLAG[mode], target: new Array(52).fill(0) };
    const fd = lib.linkCreate(programFd, ifindex, BPF_XDP, opts);
    if (fd < 0) throw attachError(description, -fd);
    return new BpfLink(lib, fd, description);
  }
  let flags = MODE_FLAG[mode];
  let opts: object | null = null;
  if (typeof options.replace === 'number') {
    flags |= FLAG.replace;
    opts = { sz: lib.structs.sizes.bpf_xdp_attach_opts, old_prog_fd: options.replace };
  } else if (!options.replace) {
    flags |= FLAG.updateIfNoExist;
  }
  const ret = lib.xdpAttach(ifindex, programFd, flags, opts);
  if (ret < 0) throw attachError(description, -ret);
  return new XdpNetlinkAttachment(lib, ifindex, MODE_FLAG[mode], programFd, description);
}

function attachError(description: string, errno: number): EbpfError {
  const hint =
    errno === 16 || errno === 17
      ? ': another XDP program is attached there — detach it, or attach via netlink with replace'
      : errno === 95 || errno === 22
        ? ': the driver may not support this mode — try mode generic'
        : '';
  return new EbpfError(codeForErrno(errno, EbpfErrorCode.Attach), `could not attach ${description}${describeErrno(errno)}${hint}`, { errno });
}

/** Which XDP programs an interface has, per mode. */
export function xdpQuery(iface: string | number): XdpStatus {
  const lib = libbpf();
  const ifindex = ifindexOf(lib, iface);
  const opts = {
    sz: lib.structs.sizes.bpf_xdp_query_opts,
    prog_id: 0,
    drv_prog_id: 0,
    hw_prog_id: 0,
    skb_prog_id: 0,
    attach_mode: 0,
    feature_flags_pad: new Array(7).fill(0),
  };
  const ret = lib.xdpQuery(ifindex, 0, opts);
  if (ret < 0) throw new EbpfError(codeForErrno(-ret, EbpfErrorCode.Attach), `could not query XDP on '${iface}'${describeErrno(-ret)}`, { errno: -ret });
  const modes = ['none', 'native', 'generic', 'offload', 'multi'] as const;
  return {
    attached: modes[opts.attach_mode] ?? 'multi',
    programIds: { generic: opts.skb_prog_id, native: opts.drv_prog_id, offload: opts.hw_prog_id },
  };
}
