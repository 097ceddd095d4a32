import { readFileSync } from 'node:fs';
import {
  certificatesRef,
  clockRef,
  consensusRef,
  datapathRef,
  definePlugin,
  dnsAnswerHook,
  dnsQueryHook,
  resolverRef,
  type PluginContext,
} from '@hypermesh/runtime';
import { ClusterAgreement } from './agreement/cluster-agreement.js';
import { CertificateBinding } from './binding/certificate-binding.js';
import { createCtComponents } from './ct/ct-components.js';
import { DnsCache } from './cache/dns-cache.js';
import { dnsCtConfigSchema, type DnsCtConfig } from './config.js';
import { DnsCtError, DnsCtErrorCode, PLUGIN_NAME } from './errors.js';
import { Forwarder } from './forward/forwarder.js';
import { resolutionFromMessage } from './forward/to-resolution.js';
import { bump, createCounters, registerMetrics } from './metrics.js';
import { ResolverChain } from './resolver/chain.js';
import { dnsDisagreementHook, dnsResolveHook, type DnsDisagreement } from './resolver/hooks.js';
import { createResolverService } from './resolver/resolver-service.js';
import { cacheStage, forwardFailure, forwardStage, zoneStage, type AgreementPolicy } from './resolver/stages.js';
import { ClientAcl } from './server/cidr.js';
import { DnsServer } from './server/dns-server.js';
import { QueryHandler } from './server/query-handler.js';
import { RateLimiter } from './server/rate-limit.js';
import { dnsServerRef } from './server/server-service.js';
import { loadZoneFile } from './zone/zone-file.js';
import { createServiceZone } from './zone/service-zone.js';
import { ZoneStore } from './zone/zone-store.js';

/** PEM text as given, or the content of the file it names. */
function readPem(value: string, what: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new DnsCtError(DnsCtErrorCode.TlsConfig, `cannot read ${what} from '${value}': ${(err as Error).message}`, { cause: err });
  }
}

/** Logs a repeated condition at most once a minute per key, with how often it happened meanwhile. */
function throttledLog(ctx: PluginContext<DnsCtConfig>, now: () => number) {
  const last = new Map<string, { at: number; count: number }>();
  return (key: string, message: string, fields: Record<string, unknown> = {}) => {
    const seen = last.get(key);
    if (seen !== undefined && now() - seen.at < 60_000) {
      seen.count++;
      return;
    }
    if (last.size > 1000) last.clear();
    ctx.logger.warn({ ...fields, repeated: seen?.count ?? 0 }, message);
    last.set(key, { at: now(), count: 0 });
  };
}

function checkConfig(config: DnsCtConfig, hasConsensus: boolean): void {
  if (config.agreement === 'cluster' && !hasConsensus) {
    throw new DnsCtError(DnsCtErrorCode.Config, "agreement 'cluster' needs a consensus service; load @hypermesh/plugin-pbft (or override consensusRef) or choose agreement 'none' or 'upstreams'");
  }
  if (config.agreement === 'upstreams' && config.forwarders.length < 2) {
    throw new DnsCtError(DnsCtErrorCode.Config, `agreement 'upstreams' needs at least 2 forwarders, but ${config.forwarders.length} are configured`);
  }
  const ask = Math.min(config.upstreams_agreement.ask, config.forwarders.length);
  if (config.agreement === 'upstreams' && (config.upstreams_agreement.quorum ?? 0) > ask) {
    throw new DnsCtError(DnsCtErrorCode.Config, `upstreams_agreement.quorum is ${config.upstreams_agreement.quorum}, more than the ${ask} upstreams asked`);
  }
  if ((config.listen_tls !== undefined || config.listen_https !== undefined) && config.tls === undefined) {
    throw new DnsCtError(DnsCtErrorCode.TlsConfig, "listen_tls and listen_https need 'tls: { cert, key }' (PEM text or file paths)");
  }
}

/**
 * `@hypermesh/plugin-dns-ct`: the cluster's DNS server and resolver. Provides `resolver` and
 * `dns.server`; uses `consensus` (zone replication, `agreement: cluster`), `datapath` (kernel
 * cache and admission) and `certificates` (names bound to certificates) when present.
 */
export const dnsCtPlugin = definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'DNS server (UDP/TCP/DoT/DoH), resolver chain, cache, service-discovery zone and names bound to certificates',
  requires: { runtime: '^0.1.0' },
  optionalServices: [consensusRef, datapathRef, certificatesRef],
  provides: [resolverRef, dnsServerRef, certificatesRef],
  config: dnsCtConfigSchema,
  setup(ctx) {
    const config = ctx.config;
    const clock = ctx.use(clockRef);
    const consensus = ctx.useOptional(consensusRef);
    const datapath = ctx.useOptional(datapathRef);
    checkConfig(config, consensus !== undefined);
    const now = () => clock.now();
    const warn = throttledLog(ctx, now);
    const counters = createCounters();

    const store = new ZoneStore({ domain: config.domain, defaultTtl: config.zone.default_ttl, nameservers: config.zone.nameservers });
    const zone = createServiceZone({ store, consensus, clock, nodeId: ctx.nodeId });
    const forwarder = new Forwarder({
      upstreams: config.forwarders,
      timeoutMs: config.forward.timeout,
      retries: config.forward.retries,
      udpSize: config.forward.udp_size,
      maxFailures: config.forward.max_failures,
      downForMs: config.forward.down_for,
      tlsCa: config.forward.tls_ca === undefined ? undefined : readPem(config.forward.tls_ca, 'forward.tls_ca'),
      clock,
    });
    const c = config.cache;
    const cache = new DnsCache({
      maxEntries: config.cache_size,
      minTtl: c.min_ttl,
      maxTtl: c.max_ttl,
      negativeMaxTtl: c.negative_max_ttl,
      prefetch: { enabled: c.prefetch.enabled, minHits: c.prefetch.min_hits, threshold: c.prefetch.threshold },
      serveStale: { enabled: c.serve_stale.enabled, maxStaleMs: c.serve_stale.max_stale, answerTtl: c.serve_stale.answer_ttl },
      clock,
      datapath,
      datapathMinHits: c.datapath_min_hits,
      onPrefetch: (name, qtype) => chain.prefetch(name, qtype),
    });
    const chain = new ResolverChain({
      hooks: ctx.hooks,
      clock,
      cache,
      staleClientTimeoutMs: c.serve_stale.client_timeout,
      onStageError: (err) => warn(`stage:${(err as Error).message}`, 'a resolver stage failed; the query got SERVFAIL', { err }),
    });

    const reportDisagreement = (d: DnsDisagreement) => {
      bump(counters.disagreements, d.mode);
      warn(`disagree:${d.question.name}`, `${d.mode} disagree on ${d.question.name}/${d.question.type}`, { answers: d.answers, outcome: d.outcome });
      if (ctx.hooks.hasTaps(dnsDisagreementHook)) ctx.hooks.call(dnsDisagreementHook, d).catch((err) => warn('disagree-hook', 'a dns.disagreement tap failed', { err }));
    };
    let cluster: ClusterAgreement | undefined;
    let agreement: AgreementPolicy = { mode: 'none' };
    if (config.agreement === 'upstreams') {
      const ask = Math.min(config.upstreams_agreement.ask, config.forwarders.length);
      agreement = { mode: 'upstreams', ask, quorum: config.upstreams_agreement.quorum ?? Math.floor(ask / 2) + 1, onDisagreement: reportDisagreement };
    } else if (config.agreement === 'cluster') {
      cluster = new ClusterAgreement({
        consensus: consensus!,
        nodeId: ctx.nodeId,
        clock,
        observe: (question, qtype) =>
          forwarder.query({ name: question.name, type: qtype, qclass: 1 }).then(
            (a) => resolutionFromMessage(question, qtype, a.message, 'upstream'),
            (err: unknown) =>
              forwardFailure({ question, qtype, client: 'internal', transport: 'internal', checkingDisabled: false, purpose: 'query', signal: undefined }, err),
          ),
        onCommitted: (question, qtype, resolution) => cache.store(question.name, qtype, resolution),
        onDisagreement: reportDisagreement,
        timeoutMs: config.cluster_agreement.timeout,
        settleMs: config.cluster_agreement.settle,
        attempts: config.cluster_agreement.attempts,
      });
      agreement = { mode: 'cluster', cluster };
    }

    ctx.hooks.tap(dnsResolveHook, cacheStage(cache, config.domain), { name: 'cache' });
    ctx.hooks.tap(dnsResolveHook, zoneStage(store), { name: 'zone' });
    ctx.hooks.tap(dnsResolveHook, forwardStage(forwarder, agreement, now), { name: 'forward', order: 'post' });
    if (config.rate_limit.enabled) {
      const r = config.rate_limit;
      const limiter = new RateLimiter({ qps: r.qps, burst: r.burst, slip: r.slip, ipv4Prefix: r.ipv4_prefix, ipv6Prefix: r.ipv6_prefix, clock });
      ctx.hooks.tap(
        dnsQueryHook,
        (query) => {
          const verdict = limiter.check(query);
          if (verdict !== undefined) bump(counters.rateLimited, verdict.action);
          return verdict;
        },
        { name: 'rate-limit', order: 'post' },
      );
    }
    const ct = createCtComponents(config.ct, {
      clock,
      hooks: ctx.hooks,
      logger: ctx.logger,
      followUrls: config.ct_logs,
      onLogServerRejected: (method) => bump(counters.ctLogRejected, method),
    });
    ctx.provide(certificatesRef, ct.certificates);
    if (config.ct_policy !== 'off') {
      const b = config.certificate_binding;
      const binding = new CertificateBinding({
        policy: config.ct_policy,
        store,
        certificates: () => ctx.useOptional(certificatesRef),
        clock,
        counters,
        defaultPort: b.port,
        timeoutMs: b.timeout,
        verdictTtlMs: b.verdict_ttl,
        onFailure: (name, reasons) => warn(`binding:${name}`, `certificate check of ${name} failed (${config.ct_policy})`, { reasons }),
      });
      // tapped only while the zone has bound names: otherwise dns.answer costs nothing per query
      let untap: (() => void) | undefined;
      store.onBindingsChange = (bound) => {
        if (bound && untap === undefined) untap = ctx.hooks.tap(dnsAnswerHook, binding.tap, { name: 'certificate-binding' });
        if (!bound && untap !== undefined) {
          untap();
          untap = undefined;
        }
      };
    }

    const handler = new QueryHandler({
      hooks: ctx.hooks,
      chain,
      clock,
      counters,
      acl: new ClientAcl(config.allow_clients),
      datapath,
      udpSize: config.udp_size,
      recursionAvailable: config.forwarders.length > 0,
      onMalformed: (reason, client, transport) => warn(`malformed:${reason}`, `malformed DNS message over ${transport}: ${reason}`, { client }),
    });
    const tls =
      config.tls === undefined ? undefined : { cert: readPem(config.tls.cert, 'tls.cert'), key: readPem(config.tls.key, 'tls.key') };
    const server = new DnsServer({
      handler,
      clock,
      counters,
      listen: config.listen,
      listenTls: config.listen_tls,
      listenHttps: config.listen_https,
      dohPath: config.doh_path,
      tls,
      stream: { idleTimeoutMs: config.tcp.idle_timeout, maxConnections: config.tcp.max_connections, maxPipelined: config.tcp.max_pipelined },
    });

    ctx.provide(resolverRef, createResolverService({ chain, cache, zone, counters, clock }));
    ctx.provide(dnsServerRef, { addresses: () => server.addresses() });
    registerMetrics(ctx.metrics, { counters, cache: () => cache, upstreams: () => forwarder.upstreams, now });

    ctx.onStart(async () => {
      const records = [...config.zone.records];
      if (config.zone.file !== undefined) records.push(...(await loadZoneFile(config.zone.file, config.domain)));
      if (records.length > 0) {
        const publish = zone.upsert(records as Parameters<typeof zone.upsert>[0]);
        // through consensus the other replicas may still be starting: publish in the background
        if (consensus === undefined) await publish;
        else publish.catch((err) => ctx.logger.error({ err }, 'the configured zone records did not commit'));
      }
      await forwarder.start();
      await ct.start();
      if (config.enabled) {
        const bound = await server.start();
        ctx.logger.info({ ...bound, forwarders: config.forwarders, domain: config.domain, agreement: config.agreement }, 'DNS server listening');
      }
    });
    ctx.onStop(async () => {
      await server.stop();
      forwarder.close();
      cluster?.close();
      await ct.stop();
    });
    ctx.onHealthCheck(() => {
      const down = forwarder.upstreams.filter((u) => u.downUntil > now());
      if (forwarder.upstreams.length > 0 && down.length === forwarder.upstreams.length) {
        return { status: 'degraded', detail: `all ${down.length} upstreams are unreachable; answering from the zone and stale cache only` };
      }
      if (down.length > 0) return { status: 'degraded', detail: `${down.length} of ${forwarder.upstreams.length} upstreams unreachable: ${down.map((u) => u.id).join(', ')}` };
      return { status: 'ok', detail: `${cache.size} cached RRsets, ${store.entries().length} zone records` };
    });
  },
});
