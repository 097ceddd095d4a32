import type { DnsResolution } from '@hypermesh/runtime';
import type { ClusterAgreement } from '../agreement/cluster-agreement.js';
import { agreeUpstreams } from '../agreement/upstreams-agreement.js';
import type { DnsCache } from '../cache/dns-cache.js';
import { ForwardFailure, type Forwarder } from '../forward/forwarder.js';
import { resolutionFromMessage } from '../forward/to-resolution.js';
import { isSubdomain } from '../wire/names.js';
import { EdeCode, TypeCode } from '../wire/record-types.js';
import type { ZoneStore } from '../zone/zone-store.js';
import type { DnsDisagreement, DnsResolveRequest } from './hooks.js';
import { emptyResolution } from './resolution.js';

/** A stage of the resolver chain: a `dns.resolve` tap. */
export type ResolveStage = (request: DnsResolveRequest) => DnsResolution | undefined | Promise<DnsResolution | undefined>;

/**
 * The cache stage: answers fresh hits; remembers stale entries on the request (RFC 8767) and lets
 * the question through. Names of the cluster domain are the zone's, never cached.
 */
export function cacheStage(cache: DnsCache, domain: string): ResolveStage {
  return function cache_(request) {
    if (request.purpose === 'prefetch' || isSubdomain(request.question.name, domain)) return undefined;
    const hit = cache.get(request.question.name, request.qtype);
    if (hit === undefined) return undefined;
    if (hit.state === 'fresh') return hit.resolution;
    request.stale = hit.resolution;
    return undefined;
  };
}

/**
 * The service-discovery zone stage: authoritative answers for the cluster domain. Answers are
 * remembered until the zone changes (its serial moves), so a hot name gets the same resolution
 * object — which lets the server reuse its encoded records.
 */
export function zoneStage(store: ZoneStore): ResolveStage {
  const remembered = new Map<string, DnsResolution>();
  let serial = store.serial;
  return function zone(request) {
    if (serial !== store.serial || remembered.size >= 10_000) {
      remembered.clear();
      serial = store.serial;
    }
    const key = `${request.qtype}:${request.question.name}`;
    const known = remembered.get(key);
    if (known !== undefined) return known;
    const answer = store.lookup(request.question.name, request.qtype);
    if (answer === undefined) return undefined;
    const resolution: DnsResolution = { question: request.question, ...answer, authoritative: true, source: 'zone', extendedErrors: [] };
    remembered.set(key, resolution);
    return resolution;
  };
}

/** How the forward stage agrees on answers. */
export type AgreementPolicy =
  | { readonly mode: 'none' }
  | { readonly mode: 'upstreams'; readonly ask: number; readonly quorum: number; readonly onDisagreement: (d: DnsDisagreement) => void }
  | { readonly mode: 'cluster'; readonly cluster: ClusterAgreement };

/** A SERVFAIL that says why forwarding failed (RFC 8914 codes 22, 23). */
export function forwardFailure(request: DnsResolveRequest, err: unknown): DnsResolution {
  const failure = err instanceof ForwardFailure ? err : undefined;
  const infoCode = failure?.kind === 'network' ? EdeCode.NetworkError : EdeCode.NoReachableAuthority;
  const upstreamErrors = failure?.lastAnswer?.message === undefined ? [] : resolutionFromMessage(request.question, request.qtype, failure.lastAnswer.message, 'upstream').extendedErrors;
  return emptyResolution(request.question, 'SERVFAIL', 'upstream', [{ infoCode, extraText: (err as Error).message }, ...upstreamErrors]);
}

/**
 * The forwarding stage: asks the upstreams (with the configured agreement) and returns their
 * answer; declines when no upstream is configured. ANY is answered minimally without asking
 * (RFC 8482 §4.2: a synthesised HINFO).
 */
export function forwardStage(forwarder: Forwarder, agreement: AgreementPolicy, now: () => number): ResolveStage {
  return async function forward(request) {
    if (forwarder.upstreams.length === 0) return undefined;
    const { question, qtype } = request;
    if (qtype === TypeCode.ANY) {
      const hinfo = Buffer.from([7, ...Buffer.from('RFC8482'), 0]);
      return {
        question,
        rcode: 'NOERROR',
        answers: [{ name: question.name, type: 'TYPE13', ttl: 3600, data: hinfo }],
        authorities: [],
        additionals: [],
        authoritative: false,
        source: 'policy',
        extendedErrors: [],
      };
    }
    try {
      switch (agreement.mode) {
        case 'none': {
          const answer = await forwarder.query({ name: question.name, type: qtype, qclass: 1 }, request.checkingDisabled);
          return resolutionFromMessage(question, qtype, answer.message, 'upstream');
        }
        case 'upstreams': {
          const agreed = await agreeUpstreams(forwarder, question, qtype, agreement.ask, agreement.quorum, now);
          if (agreed.disagreement !== undefined) agreement.onDisagreement(agreed.disagreement);
          return agreed.resolution;
        }
        case 'cluster':
          return await agreement.cluster.resolve(question, qtype);
      }
    } catch (err) {
      return forwardFailure(request, err);
    }
  };
}
