import type { ClockService, DnsQueryEvent, DnsResolution, HookApi } from '@hypermesh/runtime';
import { dnsAnswerHook } from '@hypermesh/runtime';
import type { DnsCache } from '../cache/dns-cache.js';
import { EdeCode, typeName } from '../wire/record-types.js';
import { dnsResolveHook, type DnsResolveRequest } from './hooks.js';
import { emptyResolution } from './resolution.js';

/** Options of {@link ResolverChain}. */
export interface ResolverChainOptions {
  readonly hooks: HookApi;
  readonly clock: ClockService;
  readonly cache: DnsCache;
  /** Serve-stale: answer from an expired entry when resolution takes longer than this (ms). */
  readonly staleClientTimeoutMs: number;
  /** Called once per failing stage error (the server logs it, rate-limited). */
  readonly onStageError: (err: unknown) => void;
}

function failure(request: DnsResolveRequest, rcode: 'SERVFAIL' | 'REFUSED', infoCode: number, extraText: string): DnsResolution {
  return emptyResolution(request.question, rcode, 'policy', [{ infoCode, extraText }]);
}

const cacheable = (r: DnsResolution) => r.source === 'upstream' || r.source === 'cluster';
const failed = (r: DnsResolution) => r.rcode === 'SERVFAIL' && (r.source === 'upstream' || r.source === 'cluster');

/**
 * Runs the resolver chain for one question: the `dns.resolve` stages, the cache fill, serve-stale
 * (RFC 8767) and the `dns.answer` hook.
 */
export class ResolverChain {
  constructor(private readonly options: ResolverChainOptions) {}

  /** Resolves `request`; `query` is what `dns.answer` taps see. Never rejects. */
  async resolve(request: DnsResolveRequest, query: DnsQueryEvent): Promise<DnsResolution> {
    let resolution = await this.stages(request);
    const hooks = this.options.hooks;
    if (hooks.hasTaps(dnsAnswerHook)) {
      try {
        resolution = (await hooks.call(dnsAnswerHook, { query, resolution })).resolution;
      } catch (err) {
        this.options.onStageError(err);
        resolution = failure(request, 'SERVFAIL', EdeCode.Other, `a dns.answer tap failed: ${(err as Error).message}`);
      }
    }
    return resolution;
  }

  /** The `dns.resolve` stages with cache fill and serve-stale, without `dns.answer`. */
  async stages(request: DnsResolveRequest): Promise<DnsResolution> {
    const { cache, clock, staleClientTimeoutMs } = this.options;
    const running = this.run(request);
    // the cache stage sets `stale` on an expired entry — synchronously when it is the first stage
    const stale = request.stale;
    let resolution: DnsResolution;
    if (stale === undefined) {
      resolution = await running;
      // a cache stage behind an asynchronous stage of an integrator set it later: no timer then
      const late = request.stale as DnsResolution | undefined;
      if (late !== undefined && failed(resolution)) {
        cache.countStaleHit();
        resolution = late;
      }
    } else {
      // RFC 8767 §5: answer from stale data if resolution is slower than the client response timer
      let timer: ReturnType<ClockService['setTimeout']> | undefined;
      const late = new Promise<undefined>((resolve) => (timer = clock.setTimeout(() => resolve(undefined), staleClientTimeoutMs)));
      const first = await Promise.race([running, late]);
      clock.clearTimeout(timer!);
      if (first === undefined || failed(first)) {
        cache.countStaleHit();
        resolution = stale;
      } else {
        resolution = first;
      }
    }
    return resolution;
  }

  private async run(request: DnsResolveRequest): Promise<DnsResolution> {
    let resolution: DnsResolution | undefined;
    try {
      resolution = await this.options.hooks.call(dnsResolveHook, request);
    } catch (err) {
      this.options.onStageError(err);
      return failure(request, 'SERVFAIL', EdeCode.Other, `a dns.resolve stage failed: ${(err as Error).message}`);
    }
    if (resolution === undefined) {
      return failure(request, 'REFUSED', EdeCode.NotAuthoritative, `not authoritative for ${request.question.name} and no upstream is configured`);
    }
    if (cacheable(resolution)) this.options.cache.store(request.question.name, request.qtype, resolution);
    return resolution;
  }

  /** Refreshes a popular cache entry in the background (prefetch). */
  prefetch(name: string, qtype: number): void {
    const request: DnsResolveRequest = {
      question: { name, type: typeName(qtype) },
      qtype,
      client: 'internal',
      transport: 'internal',
      checkingDisabled: false,
      purpose: 'prefetch',
      signal: undefined,
    };
    void this.run(request);
  }
}
