import { createServiceRef } from '@hypermesh/runtime';
import type { DnsServerAddresses } from './dns-server.js';

/** What a node's DNS server tells integrators and tests. */
export interface DnsServerService {
  /** The bound listen addresses (real ports when 0 was configured); undefined before start or when disabled. */
  addresses(): DnsServerAddresses | undefined;
}

/** The `dns.server` service of `@hypermesh/plugin-dns-ct`: where the node's DNS listeners are. */
export const dnsServerRef = createServiceRef<DnsServerService>({
  id: 'dns.server',
  version: '1.0.0',
  description: 'Listen addresses of the DNS server of @hypermesh/plugin-dns-ct',
});
