import type { ThreatEvent } from '@hypermesh/runtime';
import { RateMeter } from '../stats/ewma.js';
import { WindowCounters, WindowDistinct } from '../stats/window-counters.js';

/** Counters kept per client, over the detector window. */
export const ClientCounter = {
  Queries: 0,
  Answered: 1,
  NxDomain: 2,
  TunnelNames: 3,
  AnyQueries: 4,
  TxtNull: 5,
  LargeResponses: 6,
  ResponseBytes: 7,
  QueryBytes: 8,
  NameLength: 9,
  NameScore: 10,
} as const;
const CLIENT_COUNTERS = 11;

/** Counters kept per registrable domain, over the detector window. */
export const DomainCounter = {
  Queries: 0,
  Answered: 1,
  NxDomain: 2,
  TxtNull: 3,
  TunnelNames: 4,
  PayloadBits: 5,
  ResponseBytes: 6,
  NameLength: 7,
} as const;
const DOMAIN_COUNTERS = 8;

/** Feature vector dimensions of the isolation forests (clients and domains alike). */
export const VECTOR_DIMENSIONS = 8;

/** Pseudo-observations of the prior in every share and mean of a vector. */
const PRIOR_WEIGHT = 8;

/**
 * A share or mean with `PRIOR_WEIGHT` pseudo-observations of `prior` (additive smoothing): a
 * client with two queries, one of them NXDOMAIN, is not "50 % NXDOMAIN" — a client with sixty of
 * sixty is. Without it the forests see small-sample noise as outliers.
 */
function smoothed(sum: number, n: number, prior: number): number {
  return (sum + prior * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT);
}

/**
 * What clients and domains share: window counters, distinct-key sketches rotated with them, and
 * the scores the detectors and the isolation forest left.
 */
export abstract class SubjectState {
  readonly counters: WindowCounters;
  /** Highest detector score at the last event (the isolation-forest score included). */
  score = 0;
  /** Isolation-forest score of the last vector (0 before a model exists). */
  anomaly = 0;
  /** Event time of the last isolation-forest scoring. */
  scoredAt = Number.NEGATIVE_INFINITY;
  /** Event time of the last sample of its vector taken for training. */
  sampledAt = Number.NEGATIVE_INFINITY;
  lastSeen = 0;
  /** True once a finding about it reached the action engine: only then is its incident state looked up. */
  flagged = false;
  /** True while it waits in a scoring queue. */
  queued = false;

  protected constructor(
    counters: number,
    windowMs: number,
    private readonly distinct: readonly WindowDistinct[],
  ) {
    this.counters = new WindowCounters(counters, windowMs);
  }

  /** Rolls the window to `at`. */
  roll(at: number): void {
    const r = this.counters.roll(at);
    if (r !== 0) for (const d of this.distinct) d.rotate(r);
    if (at > this.lastSeen) this.lastSeen = at;
  }

  /** The isolation-forest vector ({@link VECTOR_DIMENSIONS} values). */
  abstract vector(at: number, out: Float64Array): Float64Array;

  /** The threat subject it is. */
  abstract readonly subject: ThreatEvent['subject'];
}

/** What analytics knows about one client address. O(1) update, about 0.5 KiB. */
export class ClientState extends SubjectState {
  /** Distinct names queried. */
  readonly names: WindowDistinct;
  /** Distinct names the classifier labelled DGA. */
  readonly dgaNames: WindowDistinct;
  /** Short-term query rate (10 s time constant) and long-term baseline (30 min). */
  readonly rate = new RateMeter(10_000);
  readonly baseline = new RateMeter(1_800_000);

  /** The threat subject for this client (one object, reused). */
  readonly subject: { readonly client: string };

  constructor(
    readonly address: string,
    windowMs: number,
  ) {
    const names = new WindowDistinct(6);
    const dgaNames = new WindowDistinct(6);
    super(CLIENT_COUNTERS, windowMs, [names, dgaNames]);
    this.names = names;
    this.dgaNames = dgaNames;
    this.subject = { client: address };
  }

  /** Rates, shares and means of the window (smoothed towards typical values). */
  vector(at: number, out: Float64Array): Float64Array {
    const c = this.counters;
    const queries = c.total(ClientCounter.Queries);
    const answered = c.total(ClientCounter.Answered);
    out[0] = Math.log1p(c.sliding(ClientCounter.Queries, at));
    out[1] = smoothed(this.names.count(), queries, 0.5);
    out[2] = smoothed(c.total(ClientCounter.NxDomain), answered, 0.02);
    out[3] = smoothed(c.total(ClientCounter.NameLength) / 10, queries, 2);
    out[4] = smoothed(c.total(ClientCounter.NameScore), queries, 0);
    out[5] = smoothed(c.total(ClientCounter.TxtNull), queries, 0);
    out[6] = smoothed(c.total(ClientCounter.AnyQueries), queries, 0);
    out[7] = Math.log1p(smoothed(c.total(ClientCounter.ResponseBytes), answered, 150));
    return out;
  }
}

/** What analytics knows about one registrable domain (and every name below it). */
export class DomainState extends SubjectState {
  /** Distinct names below it. */
  readonly subdomains: WindowDistinct;
  /** Distinct clients asking. */
  readonly clients: WindowDistinct;

  /** The threat subject for this domain (one object, reused). */
  readonly subject: { readonly domain: string };

  constructor(
    readonly domain: string,
    windowMs: number,
  ) {
    const subdomains = new WindowDistinct(7);
    const clients = new WindowDistinct(5);
    super(DOMAIN_COUNTERS, windowMs, [subdomains, clients]);
    this.subdomains = subdomains;
    this.clients = clients;
    this.subject = { domain };
  }

  /** Rates, shares and means of the window (smoothed towards typical values). */
  vector(at: number, out: Float64Array): Float64Array {
    const c = this.counters;
    const queries = c.total(DomainCounter.Queries);
    out[0] = Math.log1p(c.sliding(DomainCounter.Queries, at));
    out[1] = Math.log1p(this.subdomains.count());
    out[2] = smoothed(c.total(DomainCounter.NxDomain), c.total(DomainCounter.Answered), 0.02);
    out[3] = smoothed(c.total(DomainCounter.PayloadBits) / 10, queries, 3);
    out[4] = smoothed(c.total(DomainCounter.TxtNull), queries, 0);
    out[5] = Math.log1p(this.clients.count());
    out[6] = smoothed(c.total(DomainCounter.NameLength) / 10, queries, 2);
    out[7] = smoothed(c.total(DomainCounter.TunnelNames), queries, 0);
    return out;
  }
}
