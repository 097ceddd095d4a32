import type { FlowStatistics } from './flow-stats.js';

/** A traffic class and the DSCP code point to mark it with (RFC 4594's service classes). */
export interface QosRecommendation {
  /** `realtime`: small steady packets, jitter-sensitive; `interactive`: request/response;
   * `bulk`: large packets at high rate; `best-effort`: everything else. */
  readonly trafficClass: 'realtime' | 'interactive' | 'bulk' | 'best-effort';
  /** DSCP: EF 46 (realtime), AF21 18 (interactive), CS1 8 (bulk, lower effort), 0 (best effort). */
  readonly dscp: number;
  /** Bandwidth to reserve (bytes/s): the predicted upper bound, or 0 for best effort. */
  readonly reserveBytesPerSecond: number;
  /** Why, in a sentence. */
  readonly reason: string;
}

/** Inputs the recommendation uses besides the statistics. */
export interface QosInputs {
  /** Upper bound of the predicted byte rate (bytes/s), e.g. the AR forecast + 2 standard errors. */
  readonly predictedUpperBytesPerSecond: number;
  /** Destination port, to recognise DNS (53/853). */
  readonly destinationPort: number;
  /** IP protocol. */
  readonly protocol: number;
}

/**
 * Recommends a traffic class for a flow from its statistics (RFC 4594 §2 service-class
 * characteristics): real-time media is small packets at a steady rate with low jitter; bulk
 * transfers fill large packets; DNS and other request/response traffic is interactive.
 */
export function recommendQos(stats: FlowStatistics, inputs: QosInputs): QosRecommendation {
  const small = (stats.packetSizeDistribution[0] ?? 0) + (stats.packetSizeDistribution[1] ?? 0) + (stats.packetSizeDistribution[2] ?? 0);
  const large = (stats.packetSizeDistribution[5] ?? 0) + (stats.packetSizeDistribution[6] ?? 0);
  const steady = stats.interArrival.meanMs > 0 && stats.interArrival.stdMs < 0.25 * stats.interArrival.meanMs;
  const reserve = Math.max(0, Math.round(inputs.predictedUpperBytesPerSecond));
  if (inputs.destinationPort === 53 || inputs.destinationPort === 853) {
    return { trafficClass: 'interactive', dscp: 18, reserveBytesPerSecond: reserve, reason: 'DNS is latency-sensitive request/response traffic (AF21)' };
  }
  if (inputs.protocol === 17 && small >= 0.8 && steady && stats.packetRate >= 20) {
    return {
      trafficClass: 'realtime',
      dscp: 46,
      reserveBytesPerSecond: reserve,
      reason: `UDP, ${Math.round(small * 100)} % small packets at a steady ${stats.packetRate.toFixed(0)} packets/s (jitter ${stats.jitterMs.toFixed(1)} ms): real-time media (EF)`,
    };
  }
  if (large >= 0.6 && stats.byteRate >= 125_000) {
    return {
      trafficClass: 'bulk',
      dscp: 8,
      reserveBytesPerSecond: 0,
      reason: `${Math.round(large * 100)} % full-size packets at ${(stats.byteRate / 125_000).toFixed(1)} Mbit/s: a bulk transfer (CS1, lower effort)`,
    };
  }
  if (small >= 0.6) {
    return { trafficClass: 'interactive', dscp: 18, reserveBytesPerSecond: reserve, reason: 'mostly small packets at an irregular pace: request/response traffic (AF21)' };
  }
  return { trafficClass: 'best-effort', dscp: 0, reserveBytesPerSecond: 0, reason: 'no class-defining pattern (default forwarding)' };
}
