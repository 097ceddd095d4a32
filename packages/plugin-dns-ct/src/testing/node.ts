/** Test support: a node running the plugin, with its listen addresses. */
import { createNode, type AnyPlugin, type HypermeshNode, type ServiceOverride } from '@hypermesh/runtime';
import { pino } from 'pino';
import type { DnsCtConfigInput } from '../config.js';
import { PLUGIN_NAME } from '../errors.js';
import { dnsCtPlugin } from '../plugin.js';
import { dnsServerRef } from '../server/server-service.js';
import type { DnsServerAddresses } from '../server/dns-server.js';

/** A started node and its DNS addresses. */
export interface DnsTestNode {
  readonly node: HypermeshNode;
  readonly addresses: DnsServerAddresses;
  stop(): Promise<void>;
}

/** Starts a node with the plugin (listening on ephemeral loopback ports unless `config` says otherwise). */
export async function startDnsNode(
  config: DnsCtConfigInput,
  extra: { plugins?: AnyPlugin[]; overrides?: ServiceOverride[]; id?: string; extraConfig?: Record<string, unknown> } = {},
): Promise<DnsTestNode> {
  const node = createNode({
    ...(extra.id === undefined ? {} : { id: extra.id }),
    logger: pino({ level: process.env.HM_TEST_LOG ?? 'silent' }),
    plugins: [dnsCtPlugin, ...(extra.plugins ?? [])],
    config: { [PLUGIN_NAME]: { listen: '127.0.0.1:0', ...config }, ...extra.extraConfig },
    overrides: extra.overrides ?? [],
  });
  await node.start();
  const addresses = node.get(dnsServerRef).addresses();
  return { node, addresses: addresses!, stop: () => node.stop() };
}
