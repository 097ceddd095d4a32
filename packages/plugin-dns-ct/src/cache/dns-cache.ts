import type { ClockService, DatapathService, DnsRecord, DnsResolution } from '@hypermesh/runtime';
import { typeName } from '../wire/record-types.js';
import { cacheableTtl, withTtl } from './ttl.js';

/** Cache settings (the `cache` and `cache_size` config, in milliseconds and seconds). */
export interface DnsCacheOptions {
  readonly maxEntries: number;
  readonly minTtl: number;
  readonly maxTtl: number;
  readonly negativeMaxTtl: number;
  readonly prefetch: { readonly enabled: boolean; readonly minHits: number; readonly threshold: number };
  readonly serveStale: { readonly enabled: boolean; readonly maxStaleMs: number; readonly answerTtl: number };
  readonly clock: ClockService;
  /** Hot A/AAAA answers are pushed here so the kernel answers them. */
  readonly datapath?: DatapathService | undefined;
  readonly datapathMinHits: number;
  /** Called (once per entry and period) when a popular entry should be refreshed before it expires. */
  readonly onPrefetch?: (name: string, qtype: number) => void;
}

/** Counters of the cache since it was made. */
export interface DnsCacheStats {
  hits: number;
  misses: number;
  staleHits: number;
  prefetches: number;
  evictions: number;
  datapathPushes: number;
}

interface Entry {
  readonly name: string;
  readonly qtype: number;
  readonly resolution: DnsResolution;
  readonly storedAt: number;
  /** Clamped TTL in seconds. */
  readonly ttl: number;
  readonly expiresAt: number;
  readonly staleUntil: number;
  hits: number;
  /** The lookup count when the entry was last moved to the most-recent end. */
  tick: number;
  prefetching: boolean;
  pushed: boolean;
  /** The resolution with TTLs decremented, rebuilt once per second of age. */
  view: DnsResolution | undefined;
  viewAge: number;
}

/** A cache lookup that found something. */
export interface CacheHit {
  /** The cached answer, TTLs decremented (stale answers carry the stale TTL and EDE 3). */
  readonly resolution: DnsResolution;
  /** `fresh` within its TTL; `stale` expired but inside the serve-stale window. */
  readonly state: 'fresh' | 'stale';
}

/**
 * An LRU cache of resolutions keyed by name and type, with TTL clamps, negative caching (RFC 2308),
 * prefetch of popular entries and serve-stale (RFC 8767). A JavaScript Map keeps insertion order,
 * so re-inserting on a hit makes the first key the least recently used. A hit re-inserts only an
 * entry not moved within the last quarter-cache of lookups: hot entries stay far from the evicting
 * end without paying a delete and an insert on every hit (an approximate LRU).
 */
export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private ticks = 0;
  readonly stats: DnsCacheStats = { hits: 0, misses: 0, staleHits: 0, prefetches: 0, evictions: 0, datapathPushes: 0 };

  constructor(private readonly options: DnsCacheOptions) {}

  /** Number of entries (stale ones included). */
  get size(): number {
    return this.entries.size;
  }

  /** Looks up a fresh or stale answer; counts a hit only for fresh answers. */
  get(name: string, qtype: number): CacheHit | undefined {
    const key = `${qtype}:${name}`;
    const entry = this.entries.get(key);
    const now = this.options.clock.now();
    this.ticks++; // every lookup counts: misses are followed by insertions that age the others
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (now >= entry.expiresAt) {
      this.stats.misses++;
      if (!this.options.serveStale.enabled || now >= entry.staleUntil) {
        this.drop(key, entry);
        return undefined;
      }
      return { resolution: this.staleView(entry), state: 'stale' };
    }
    this.stats.hits++;
    entry.hits++;
    if (this.ticks - entry.tick > this.options.maxEntries >> 2) {
      entry.tick = this.ticks;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    const ageSeconds = Math.floor((now - entry.storedAt) / 1000);
    if (entry.view === undefined || entry.viewAge !== ageSeconds) {
      entry.view = withTtl(entry.resolution, ageSeconds, entry.ttl, 'cache');
      entry.viewAge = ageSeconds;
    }
    this.maybePrefetch(entry, now);
    this.maybePush(entry, now);
    return { resolution: entry.view, state: 'fresh' };
  }

  /** Counts a stale answer that was served (the caller decides when stale data is used). */
  countStaleHit(): void {
    this.stats.staleHits++;
  }

  /**
   * Stores a resolution if it may be cached: NOERROR with answers (TTL: the smallest of its
   * records), or NXDOMAIN/NODATA with an SOA (TTL: min of the SOA's TTL and MINIMUM, RFC 2308 §5).
   * Returns true when stored.
   */
  store(name: string, qtype: number, resolution: DnsResolution): boolean {
    const ttl = cacheableTtl(resolution, this.options);
    const key = `${qtype}:${name}`;
    const previous = this.entries.get(key);
    if (ttl === undefined) return false;
    if (previous !== undefined) this.drop(key, previous);
    const now = this.options.clock.now();
    const expiresAt = now + ttl * 1000;
    this.entries.set(key, {
      name,
      qtype,
      resolution,
      storedAt: now,
      ttl,
      expiresAt,
      staleUntil: expiresAt + this.options.serveStale.maxStaleMs,
      hits: 0,
      tick: this.ticks,
      prefetching: false,
      pushed: false,
      view: undefined,
      viewAge: -1,
    });
    while (this.entries.size > this.options.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.drop(oldestKey, oldest);
      this.stats.evictions++;
    }
    return true;
  }

  /** Removes an entry (e.g. when the zone takes over a name). */
  delete(name: string, qtype: number): void {
    const key = `${qtype}:${name}`;
    const entry = this.entries.get(key);
    if (entry !== undefined) this.drop(key, entry);
  }

  /** Removes every entry. */
  clear(): void {
    for (const [key, entry] of [...this.entries]) this.drop(key, entry);
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (entry.pushed) this.options.datapath?.dnsCache.delete(entry.name, typeName(entry.qtype) as 'A' | 'AAAA');
  }

  private staleView(entry: Entry): DnsResolution {
    const { answerTtl } = this.options.serveStale;
    const r = entry.resolution;
    const stale = (records: readonly DnsRecord[]) => records.map((rec) => ({ ...rec, ttl: answerTtl }) as DnsRecord);
    return {
      ...r,
      answers: stale(r.answers),
      authorities: stale(r.authorities),
      additionals: stale(r.additionals),
      source: 'stale-cache',
      extendedErrors: [...r.extendedErrors, { infoCode: 3, extraText: 'stale answer: upstreams did not answer in time' }],
    };
  }

  private maybePrefetch(entry: Entry, now: number): void {
    const { prefetch } = this.options;
    if (!prefetch.enabled || entry.prefetching || entry.hits < prefetch.minHits || this.options.onPrefetch === undefined) return;
    if (entry.expiresAt - now > entry.ttl * 1000 * prefetch.threshold) return;
    entry.prefetching = true;
    this.stats.prefetches++;
    this.options.onPrefetch(entry.name, entry.qtype);
  }

  private maybePush(entry: Entry, now: number): void {
    const datapath = this.options.datapath;
    if (datapath === undefined || entry.pushed || entry.hits < this.options.datapathMinHits) return;
    if ((entry.qtype !== 1 && entry.qtype !== 28) || entry.resolution.rcode !== 'NOERROR') return;
    const type = entry.qtype === 1 ? 'A' : 'AAAA';
    const answers = entry.resolution.answers;
    if (answers.length === 0 || answers.some((r) => r.type !== type || r.name !== entry.name)) return;
    const ttl = Math.floor((entry.expiresAt - now) / 1000);
    if (ttl < 1) return;
    datapath.dnsCache.put({ name: entry.name, type, addresses: answers.slice(0, 8).map((r) => r.data as string), ttl });
    entry.pushed = true;
    this.stats.datapathPushes++;
  }
}
