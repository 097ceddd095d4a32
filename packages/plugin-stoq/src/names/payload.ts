import type { ParsedName } from './dns-name.js';
import type { FeatureContext } from './name-features.js';
import { nameParts } from './suffix.js';

/**
 * How much information a name carries outside its registrable domain, measured as surprisal under
 * the benign character model. A tunnel encodes data in the labels below a domain its operator
 * controls; data (compressed, encrypted, base32/64/128- or hex-encoded) is close to incompressible,
 * so it costs far more bits under a model of human-chosen names than any benign name does.
 * This is an anomaly rule calibrated on benign names only, so it does not depend on knowing the
 * tunnelling tool.
 */
export interface PayloadStats {
  /** Total surprisal (bits) of the payload labels. */
  readonly bits: number;
  /** Bits per character (transitions including label ends). */
  readonly perChar: number;
  /** Longest payload label. */
  readonly longestLabel: number;
}

/** Thresholds of the tunnel rule, derived from benign names (see `trainNameModel`). */
export interface TunnelRule {
  /** Payload bits above which a name is a tunnel. */
  readonly minBits: number;
  /** Bits per character above which a name with a long label is a tunnel. */
  readonly minPerChar: number;
  /** The label length from which `minPerChar` applies. */
  readonly minLabel: number;
}

/**
 * Payload statistics of a name: the labels left of the registrable label — or every label when the
 * top-level label is one no benign name uses (e.g. dnscat2's `dnscat.<hex>` direct mode).
 */
export function payloadStats(name: ParsedName, context: FeatureContext): PayloadStats {
  const labels = name.labels;
  const parts = nameParts(labels);
  const end = context.topLevel.has(labels[labels.length - 1]!) ? Math.max(0, parts.primary) : labels.length;
  let bits = 0;
  let transitions = 0;
  let longest = 0;
  for (let l = 0; l < end; l++) {
    const label = labels[l]!;
    bits -= context.chars.score(label).meanLog2 * (label.length + 1);
    transitions += label.length + 1;
    if (label.length > longest) longest = label.length;
  }
  return { bits, perChar: transitions > 0 ? bits / transitions : 0, longestLabel: longest };
}

/** The rule's strength for these statistics: ≥ 1 means "tunnel"; 0 when nothing points to one. */
export function tunnelStrength(stats: PayloadStats, rule: TunnelRule): number {
  const byBits = stats.bits / rule.minBits;
  const byRate = stats.longestLabel >= rule.minLabel ? stats.perChar / rule.minPerChar : 0;
  return Math.max(byBits, byRate);
}
