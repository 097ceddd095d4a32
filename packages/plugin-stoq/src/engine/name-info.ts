import type { ParsedNameClassifier } from '../names/classify-name.js';
import { parseDnsName } from '../names/dns-name.js';
import type { NameModel } from '../names/name-model.js';
import { payloadStats, tunnelStrength } from '../names/payload.js';
import { nameParts } from '../names/suffix.js';

/** What the stream needs to know about a name, computed once per distinct name (and cached). */
export interface NameInfo {
  /** Registrable domain: the key of per-domain state. */
  readonly domain: string;
  /** Classifier verdict (`benign` when the classifier is off). */
  readonly label: 'benign' | 'dga' | 'tunnel';
  /** Classifier score (0 when off). */
  readonly score: number;
  /** Bits carried below the registrable domain. */
  readonly payloadBits: number;
  /** Octets on the wire. */
  readonly length: number;
}

/**
 * Parses and classifies names, caching the result per name. The cache holds `capacity` names and
 * is emptied when full — O(1), no per-hit bookkeeping — which suits DNS, where popular names
 * come back within moments and rare names would evict each other anyway. The DGA part of a
 * verdict depends only on the registrable domain, so it is cached per domain too: a flood of
 * random subdomains under one domain costs one DGA evaluation.
 */
export class NameInfoCache {
  private cache = new Map<string, NameInfo>();
  private domainScores = new Map<string, number>();
  private misses = 0;
  private hits = 0;

  constructor(
    private readonly capacity: number,
    private readonly classifier: ParsedNameClassifier | undefined,
    private readonly model: NameModel,
  ) {}

  /** Info for `name`, or the reason it is not a valid DNS name. */
  get(name: string): NameInfo | string {
    const cached = this.cache.get(name);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const parsed = parseDnsName(name);
    if (!parsed.ok) return parsed.reason;
    const parts = nameParts(parsed.labels);
    const domain = parsed.labels.length <= 1 ? parsed.key : parsed.labels.slice(Math.max(0, parts.primary)).join('.');
    const payload = payloadStats(parsed, this.model.context);
    let label: NameInfo['label'] = 'benign';
    let score = 0;
    if (this.classifier !== undefined) {
      const tunnel = tunnelStrength(payload, this.model.tunnel);
      let dga = tunnel >= 1 ? 0 : this.domainScores.get(domain);
      if (dga === undefined) {
        dga = this.classifier.dgaScore(parsed);
        if (this.domainScores.size >= this.capacity) this.domainScores = new Map();
        this.domainScores.set(domain, dga);
      }
      label = this.classifier.combine(tunnel, dga);
      score = this.classifier.lastScore();
    }
    const info: NameInfo = { domain, label, score, payloadBits: payload.bits, length: parsed.wireLength };
    if (this.cache.size >= this.capacity) this.cache = new Map();
    this.cache.set(name, info);
    return info;
  }

  /** Cache statistics. */
  stats(): { size: number; hits: number; misses: number } {
    return { size: this.cache.size, hits: this.hits, misses: this.misses };
  }
}
