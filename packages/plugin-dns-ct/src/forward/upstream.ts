/** An upstream resolver and what the forwarder has learned about its health. */
export interface Upstream {
  /** The spec as configured, e.g. `127.0.0.1:53` or `tls://9.9.9.9:853#dns.quad9.net`; its id in metrics. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `udp`: UDP with TCP on truncation; `tls`: DNS over TLS (RFC 7858). */
  readonly protocol: 'udp' | 'tls';
  /** The name the TLS certificate must carry (DoT). */
  readonly servername: string;
  /** Consecutive failures. */
  failures: number;
  /** Out of rotation until then (clock ms); 0 when healthy. */
  downUntil: number;
  /** Smoothed round-trip time (ms). */
  rttMs: number;
  queries: number;
  errors: number;
}

/** Parses `HOST:PORT`, `[V6]:PORT` or `tls://HOST:PORT[#servername]`. */
export function parseUpstream(spec: string): Upstream {
  const m = /^(tls:\/\/)?(\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})(?:#([A-Za-z0-9.-]+))?$/.exec(spec);
  if (m === null) throw new Error(`upstream '${spec}' is not HOST:PORT or tls://HOST:PORT[#name]`);
  const host = m[3] ?? m[4]!;
  return {
    id: spec,
    host,
    port: Number(m[5]),
    protocol: m[1] === undefined ? 'udp' : 'tls',
    servername: m[6] ?? host,
    failures: 0,
    downUntil: 0,
    rttMs: 0,
    queries: 0,
    errors: 0,
  };
}

/** Records a success: the upstream is healthy again and its RTT estimate moves. */
export function markSuccess(upstream: Upstream, rttMs: number): void {
  upstream.failures = 0;
  upstream.downUntil = 0;
  upstream.rttMs = upstream.rttMs === 0 ? rttMs : upstream.rttMs * 0.8 + rttMs * 0.2;
}

/** Records a failure; after `maxFailures` in a row the upstream leaves rotation for `downForMs`. */
export function markFailure(upstream: Upstream, now: number, maxFailures: number, downForMs: number): void {
  upstream.failures++;
  upstream.errors++;
  if (upstream.failures >= maxFailures) upstream.downUntil = now + downForMs;
}

/**
 * The order to try upstreams in: healthy ones first, fastest first (ties keep the configured
 * order, rotated by `turn` to spread load), then those out of rotation, soonest back first — so
 * when all are down the forwarder still probes one.
 */
export function upstreamOrder(upstreams: readonly Upstream[], now: number, turn: number): Upstream[] {
  const n = upstreams.length;
  const rotated = upstreams.map((_, i) => upstreams[(i + turn) % n]!);
  const healthy = rotated.filter((u) => u.downUntil <= now);
  const down = rotated.filter((u) => u.downUntil > now).sort((a, b) => a.downUntil - b.downUntil);
  // an RTT within 2 ms of the best counts as equal, so load still spreads
  const best = Math.min(...healthy.map((u) => u.rttMs || Infinity));
  healthy.sort((a, b) => Number((a.rttMs || 0) > best + 2) - Number((b.rttMs || 0) > best + 2));
  return [...healthy, ...down];
}
