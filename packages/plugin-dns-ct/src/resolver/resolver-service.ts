import type { ClockService, DnsQuestion, DnsResolution, ResolverService, ResolverStats } from '@hypermesh/runtime';
import type { DnsCache } from '../cache/dns-cache.js';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import type { DnsCounters } from '../metrics.js';
import { normalizeName } from '../wire/names.js';
import { typeCode, typeName } from '../wire/record-types.js';
import type { ResolverChain } from './chain.js';

/** What the resolver service is made of. */
export interface ResolverServiceParts {
  readonly chain: ResolverChain;
  readonly cache: DnsCache;
  readonly zone: ResolverService['zone'];
  readonly counters: DnsCounters;
  readonly clock: ClockService;
}

/**
 * The `resolver` service: the resolver chain for in-process callers (transport `internal`; the
 * `dns.query` hook is the packet path's and is not called), the zone, and counters.
 */
export function createResolverService(parts: ResolverServiceParts): ResolverService {
  const { chain, cache, zone, counters, clock } = parts;
  return {
    async resolve(question: DnsQuestion, options: { client?: string; signal?: AbortSignal } = {}): Promise<DnsResolution> {
      const name = typeof question?.name === 'string' ? normalizeName(question.name) : undefined;
      const qtype = typeof question?.type === 'string' ? typeCode(question.type) : undefined;
      if (name === undefined || qtype === undefined) {
        throw new DnsCtError(DnsCtErrorCode.Question, `question ${JSON.stringify(question)} is malformed; give a domain name and a type such as 'A' or 'TYPE65'`);
      }
      if (options.signal?.aborted) throw new DnsCtError(DnsCtErrorCode.Aborted, `resolution of ${name}/${question.type} was aborted`, { cause: options.signal.reason });
      counters.queries.internal++;
      const client = options.client ?? 'internal';
      const normal: DnsQuestion = { name, type: typeName(qtype) };
      const work = chain.resolve(
        { question: normal, qtype, client, transport: 'internal', checkingDisabled: false, purpose: 'query', signal: options.signal },
        { client, clientPort: 0, transport: 'internal', id: 0, question: normal, size: 0, receivedAt: clock.now() },
      );
      if (options.signal === undefined) return work;
      const signal = options.signal;
      return new Promise<DnsResolution>((resolve, reject) => {
        const onAbort = () => reject(new DnsCtError(DnsCtErrorCode.Aborted, `resolution of ${name}/${question.type} was aborted`, { cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    zone,
    stats(): ResolverStats {
      const { hits, misses } = cache.stats;
      const queries = Object.values(counters.queries).reduce((a, b) => a + b, 0);
      return { queries, cacheHits: hits, cacheMisses: misses, cacheEntries: cache.size, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
    },
  };
}
