/**
 * Where the part of a name chosen by its owner ends and the public suffix begins — an
 * approximation of the Public Suffix List small enough to ship: the last label, plus a second
 * label for the generic second-level domains of country TLDs (`co.uk`, `com.br`), plus the
 * parent domains of dynamic-DNS services, under which anyone picks a label (malware DGAs use them).
 */

/** Second-level labels that country TLDs use as public suffixes (`co.uk`, `com.au`, `ac.jp`, …). */
const GENERIC_SECOND_LEVEL = new Set([
  'ac', 'biz', 'co', 'com', 'edu', 'gen', 'go', 'gob', 'gouv', 'gov', 'govt', 'gv', 'in', 'info',
  'int', 'ltd', 'me', 'mil', 'ne', 'net', 'nhs', 'nic', 'nom', 'or', 'org', 'plc', 'sch', 'web',
]);

/**
 * Dynamic-DNS services whose subdomains are handed to the public (well-known providers: No-IP,
 * Dyn, FreeDNS, DuckDNS, Dynu, ChangeIP and others). Under these, the label to the left is the
 * one its user — or a DGA — chose.
 */
export const DYNAMIC_DNS_PARENTS: ReadonlySet<string> = new Set([
  // No-IP
  'ddns.net', 'no-ip.org', 'no-ip.biz', 'no-ip.info', 'no-ip.com', 'noip.me', 'hopto.org', 'zapto.org', 'sytes.net',
  'servebeer.com', 'serveftp.com', 'servehttp.com', 'myftp.org', 'myftp.biz', 'redirectme.net', 'serveblog.net', 'bounceme.net',
  'ddns.me', 'myvnc.com', 'onthewifi.com', 'servegame.com', 'servemp3.com', 'servepics.com', 'servequake.com',
  // Dyn
  'dyndns.org', 'dyndns.com', 'dyndns.info', 'dyndns.biz', 'dyndns.tv', 'dyndns.ws', 'homeip.net', 'homelinux.com',
  'homelinux.net', 'homelinux.org', 'dnsalias.com', 'dnsalias.net', 'dnsalias.org', 'dynalias.com', 'dynalias.net',
  'dynalias.org', 'gotdns.com', 'gotdns.org', 'selfip.com', 'selfip.net', 'selfip.org', 'webhop.net', 'is-a-geek.com',
  'blogdns.com', 'dyn-o-saur.com', 'dynserv.com', 'dyndns-ip.com', 'dyndns-home.com', 'dyndns-server.com',
  // FreeDNS (afraid.org)
  'mooo.com', 'yi.org', 'us.to', 'ignorelist.com', 'chickenkiller.com', 'strangled.net', 'twilightparadox.com',
  'jumpingcrab.com', 'crabdance.com', 'uk.to', 'ca.to', 'mine.nu', 'afraid.org', 'ftp.sh', 'dynet.com',
  // Others
  'duckdns.org', 'dynu.net', 'dynu.com', 'changeip.com', 'changeip.net', 'dnsdynamic.org', 'freeddns.org',
  '3utilities.com', 'ddnsking.com', 'gotdns.ch', 'dyndns.dk', 'linkpc.net', 'publicvm.com', 'dynv6.net', 'nsupdate.info',
]);

/** How a name divides into an owner part and a public suffix. */
export interface NameParts {
  /** Number of labels in the public suffix (1 or more; the whole name when it is that short). */
  readonly suffixLabels: number;
  /**
   * Index of the primary label (the registrable label: the one left of the suffix), or -1 for a
   * name that is only a suffix.
   */
  readonly primary: number;
  /** True when the suffix is a dynamic-DNS parent. */
  readonly dynamicDns: boolean;
}

/** Splits labels (lower-case, left to right) into subdomain labels, primary label and suffix. */
export function nameParts(labels: readonly string[]): NameParts {
  const n = labels.length;
  if (n >= 3) {
    const parent = `${labels[n - 2]}.${labels[n - 1]}`;
    if (DYNAMIC_DNS_PARENTS.has(parent)) return { suffixLabels: 2, primary: n - 3, dynamicDns: true };
  }
  if (n >= 3 && labels[n - 1]!.length === 2 && GENERIC_SECOND_LEVEL.has(labels[n - 2]!)) {
    return { suffixLabels: 2, primary: n - 3, dynamicDns: false };
  }
  return { suffixLabels: 1, primary: n - 2, dynamicDns: false };
}

/** The registrable domain (primary label + suffix) of parsed labels, or the whole name if shorter. */
export function registrableDomain(labels: readonly string[]): string {
  const parts = nameParts(labels);
  const from = Math.max(0, parts.primary);
  return labels.slice(from).join('.');
}
