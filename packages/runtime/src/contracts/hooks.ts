import { defineHook } from '../hooks/define-hook.js';
import type { Severity, ThreatEvent } from './analytics.js';
import type { DnsAnswerEvent, DnsQueryEvent, DnsQueryVerdict } from './dns.js';

/**
 * `dns.query` — every query the DNS server receives, before resolution. Kind `first`: observers
 * return `undefined`; a tap that returns a verdict refuses, drops or truncates the query and later
 * taps do not run. Called with `callSync` on the packet path, so taps must be synchronous.
 */
export const dnsQueryHook = defineHook<[query: DnsQueryEvent], DnsQueryVerdict | undefined>({
  id: 'dns.query',
  kind: 'first',
  description: 'Every DNS query before resolution; a tap may refuse, drop or truncate it',
});

/**
 * `dns.answer` — every answer before it is sent. Kind `waterfall`: each tap receives the answer
 * (possibly changed by the previous tap) and returns it, changed or not — CT enforcement turns an
 * answer into SERVFAIL with an Extended DNS Error here.
 */
export const dnsAnswerHook = defineHook<[answer: DnsAnswerEvent], DnsAnswerEvent>({
  id: 'dns.answer',
  kind: 'waterfall',
  description: 'Every DNS answer before it is sent; taps may rewrite it',
});

/** `threat.detected` — the analytics engine detected a threat and decided an action. */
export const threatDetectedHook = defineHook<[threat: ThreatEvent]>({
  id: 'threat.detected',
  kind: 'series',
  description: 'A threat was detected and an action decided',
});

/** A node the consensus fault detector distrusts. */
export interface NodeSuspicion {
  /** The suspected node. */
  readonly nodeId: string;
  /** Its reputation in [0, 1] after the evidence. */
  readonly reputation: number;
  readonly severity: Severity;
  /** The evidence, as sentences (e.g. "equivocation: two PRE-PREPAREs for view 3, seq 17"). */
  readonly reasons: readonly string[];
  /** What the replica does about it. */
  readonly action: 'watch' | 'penalty' | 'view-change' | 'isolate';
  readonly at: number;
}

/** `node.suspected` — the fault detector lowered a node's reputation enough to act. */
export const nodeSuspectedHook = defineHook<[suspicion: NodeSuspicion]>({
  id: 'node.suspected',
  kind: 'series',
  description: 'The consensus fault detector acts against a node',
});

/** A certificate seen in a CT log that looks wrong for a watched domain. */
export interface CtSuspiciousCertificate {
  /** The watched domain it concerns. */
  readonly domain: string;
  /** What looks wrong, as sentences (unexpected issuer, SAN mismatch, burst of issuance). */
  readonly reasons: readonly string[];
  readonly certificate: {
    readonly fingerprintSha256: string;
    readonly issuer: string;
    readonly subjectAltNames: readonly string[];
    readonly notBefore: Date;
    readonly notAfter: Date;
  };
  /** Where the entry was found. */
  readonly log: { readonly url: string; readonly index: number };
  readonly at: number;
}

/** `ct.suspicious` — the CT monitor found a suspicious certificate for a watched domain. */
export const ctSuspiciousHook = defineHook<[finding: CtSuspiciousCertificate]>({
  id: 'ct.suspicious',
  kind: 'series',
  description: 'The CT monitor found a suspicious certificate for a watched domain',
});
