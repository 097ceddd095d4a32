/** Assembles the one-node resolver: the runtime and @hypermesh/plugin-dns-ct, nothing else. */
import { dnsCtPlugin, dnsServerRef, type DnsCtConfigInput, type DnsServerAddresses } from '@hypermesh/plugin-dns-ct';
import { createNode, type HypermeshNode } from '@hypermesh/runtime';
import { pino } from 'pino';
import type { ResolverArgs } from './args.js';

/** A started resolver. */
export interface RunningResolver {
  readonly node: HypermeshNode;
  readonly addresses: DnsServerAddresses;
}

/** The plugin config the command line stands for. */
export function resolverConfig(args: ResolverArgs): DnsCtConfigInput {
  return {
    listen: args.listen,
    domain: args.domain,
    forwarders: [...args.forward],
    ...(args.zone === undefined ? {} : { zone: { file: args.zone } }),
    ...(args.dot === undefined ? {} : { listen_tls: args.dot }),
    ...(args.doh === undefined ? {} : { listen_https: args.doh }),
    ...(args.tlsCert === undefined || args.tlsKey === undefined ? {} : { tls: { cert: args.tlsCert, key: args.tlsKey } }),
  };
}

/** Starts a node with the DNS plugin configured from `args`. */
export async function startResolver(args: ResolverArgs): Promise<RunningResolver> {
  const node = createNode({
    id: 'resolver',
    logger: pino({ level: args.logLevel }, pino.destination(2)),
    plugins: [dnsCtPlugin],
    config: { '@hypermesh/plugin-dns-ct': resolverConfig(args) },
  });
  await node.start();
  return { node, addresses: node.get(dnsServerRef).addresses()! };
}
