import { BlockList, isIP } from 'node:net';

/**
 * Who the action engine must never act against: allow-listed clients (addresses or CIDR
 * prefixes), allow-listed domains (and names below them), and the cluster's own nodes (their
 * addresses map to node ids, so their anomaly scores can feed the consensus reputation).
 */
export class ProtectedSubjects {
  private readonly clients = new BlockList();
  private readonly domains: Set<string>;
  private readonly nodeByAddress = new Map<string, string>();
  private readonly addressesByNode = new Map<string, string[]>();
  /** Entries that were not addresses or prefixes, for the log. */
  readonly ignored: string[] = [];

  constructor(allowClients: readonly string[], allowDomains: readonly string[], nodes: readonly { id: string; address: string }[]) {
    for (const entry of allowClients) this.allowClient(entry);
    this.domains = new Set(allowDomains.map((d) => d.toLowerCase().replace(/\.$/, '')));
    for (const node of nodes) this.addNode(node.id, node.address);
  }

  private allowClient(entry: string): void {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) {
      this.ignored.push(entry);
      return;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) this.clients.addAddress(address!, type);
    else this.clients.addSubnet(address!, Number(bits), type);
  }

  /**
   * Adds a cluster node. `address` may be `HOST:PORT`, `[V6]:PORT` or a bare address; a name
   * that is not an address (a DNS name) is remembered for the node but cannot match clients.
   */
  addNode(id: string, address: string): void {
    const host = hostOf(address);
    this.nodeByAddress.set(host, id);
    const list = this.addressesByNode.get(id) ?? [];
    if (!list.includes(host)) list.push(host);
    this.addressesByNode.set(id, list);
  }

  /** Why a client is protected ("cluster node n2", "allow-listed"), or undefined. */
  client(address: string): string | undefined {
    const node = this.nodeByAddress.get(address);
    if (node !== undefined) return `it is cluster node '${node}'`;
    const family = isIP(address);
    if (family !== 0 && this.clients.check(address, family === 4 ? 'ipv4' : 'ipv6')) return 'it is on the client allow-list';
    return undefined;
  }

  /** Why a domain is protected, or undefined. */
  domain(domain: string): string | undefined {
    let d = domain;
    for (;;) {
      if (this.domains.has(d)) return `'${d}' is on the domain allow-list`;
      const dot = d.indexOf('.');
      if (dot < 0) return undefined;
      d = d.slice(dot + 1);
    }
  }

  /** The node id of a client address, if it is a cluster node. */
  nodeOf(address: string): string | undefined {
    return this.nodeByAddress.get(address);
  }

  /** Addresses of a node. */
  addressesOf(nodeId: string): readonly string[] {
    return this.addressesByNode.get(nodeId) ?? [];
  }
}

/** The host part of `HOST:PORT`, `[V6]:PORT` or a bare address. */
export function hostOf(address: string): string {
  const trimmed = address.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(trimmed);
  if (bracket) return bracket[1]!;
  if (isIP(trimmed) !== 0) return trimmed;
  const colon = trimmed.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(trimmed.slice(colon + 1)) ? trimmed.slice(0, colon) : trimmed;
}
