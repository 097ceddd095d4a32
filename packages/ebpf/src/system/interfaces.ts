import { existsSync, readFileSync } from 'node:fs';
import { EbpfError, EbpfErrorCode } from '../errors.js';
import type { Libbpf } from '../native/libbpf.js';

/** The ifindex of an interface given by name or index; throws `E_EBPF_INTERFACE` when it does not exist. */
export function ifindexOf(lib: Libbpf, iface: string | number): number {
  if (typeof iface === 'number') return iface;
  const index = lib.ifNameToIndex(iface);
  if (index === 0) {
    throw new EbpfError(EbpfErrorCode.Interface, `network interface '${iface}' does not exist in this network namespace (see 'ip link')`);
  }
  return index;
}

/**
 * True for interfaces without a device behind them (veth, bridges, tunnels): XDP runs there in
 * generic mode, because native XDP on veth drops XDP_TX replies unless the peer has XDP too.
 */
export function isVirtualInterface(iface: string): boolean {
  return !existsSync(`/sys/class/net/${iface}/device`);
}

/** The interface's MTU, or undefined when unknown. */
export function mtuOf(iface: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8'));
  } catch {
    return undefined;
  }
}
