/**
 * `@hypermesh/plugin-dns-ct` — the cluster's DNS server (UDP, TCP, DNS over TLS, DNS over HTTPS),
 * its resolver chain (cache, service-discovery zone, forwarding with agreement), names bound to
 * certificates, and X.509 + Certificate Transparency verification.
 *
 * @packageDocumentation
 */

export { dnsCtPlugin, dnsCtPlugin as default } from './plugin.js';
export { dnsCtConfigSchema, type DnsCtConfig, type DnsCtConfigInput } from './config.js';
export { DnsCtError, DnsCtErrorCode, PLUGIN_NAME } from './errors.js';
export { dnsResolveHook, dnsDisagreementHook, type DnsResolveRequest, type DnsDisagreement } from './resolver/hooks.js';
export { dnsServerRef, type DnsServerService } from './server/server-service.js';
export type { BoundAddress, DnsServerAddresses } from './server/dns-server.js';
export { parseZoneFile, loadZoneFile } from './zone/zone-file.js';
export { ZONE_NAMESPACE } from './zone/zone-machine.js';
export { RRSET_NAMESPACE } from './agreement/cluster-agreement.js';

// ---- Certificate Transparency and X.509 (owned by the CT engineer) ----
export * as ct from './ct/index.js';
export { createCertificatesService, type CertificatesServiceOptions } from './certificates/certificates-service.js';
// ---- end of CT exports ----
