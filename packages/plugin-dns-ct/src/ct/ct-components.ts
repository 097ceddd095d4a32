import { readFileSync } from 'node:fs';
import { systemClock, type CertificatesService, type ClockService, type HookApi } from '@hypermesh/runtime';
import { createCertificatesService } from '../certificates/certificates-service.js';
import type { CtConfig } from './config.js';
import { logFromKey, parseLogList, type CtLog } from './log-list.js';
import { startCtLogServer, type CtLogServer } from './log-server/log-server.js';
import type { CtLogger } from './logger.js';
import { CtMonitor } from './monitor.js';

/** What the plugin gives {@link createCtComponents} besides the config. */
export interface CtDependencies {
  /** The runtime's clock (`ctx.use(clockRef)`). */
  readonly clock?: ClockService;
  /** The plugin's hooks (`ctx.hooks`); the monitor calls `ct.suspicious` through them. */
  readonly hooks?: Pick<HookApi, 'call'>;
  readonly logger?: CtLogger;
  /** Extra log URLs to follow (the Cluster document's top-level `ct_logs`). */
  readonly followUrls?: readonly string[];
  /** Called for every request the log server refuses, e.g. to count it in a metric. */
  readonly onLogServerRejected?: (method: string, reason: string) => void;
}

/** The CT parts of the plugin, built from its config. */
export interface CtComponents {
  /** The `certificates` service to provide (`ctx.provide(certificatesRef, …)`). */
  readonly certificates: CertificatesService;
  /** The logs SCTs are checked against; the own log is added once the log server runs. */
  readonly logs: readonly CtLog[];
  /** Starts the log server and the monitor when enabled (call from the plugin's `start`). */
  start(): Promise<void>;
  /** Stops them (call from the plugin's `stop`). */
  stop(): Promise<void>;
  /** The running log server, after `start`, when enabled. */
  readonly logServer: CtLogServer | undefined;
  /** The monitor, after `start`, when enabled. */
  readonly monitor: CtMonitor | undefined;
}

const pemOf = (value: string) => (value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8'));

/**
 * Builds the certificates service, the cluster's CT log and the CT monitor from the `ct` config
 * section. Reading the log list or a PEM file fails here, at setup, with the runtime's config
 * error wording left to the caller (the errors are `E_CT_LOG_LIST`, `E_CT_LOG_KEY`, or the file
 * system's).
 */
export function createCtComponents(config: CtConfig, deps: CtDependencies = {}): CtComponents {
  const clock = deps.clock ?? systemClock;
  const logs: CtLog[] = [];
  if (config.log_list_file !== undefined) logs.push(...parseLogList(readFileSync(config.log_list_file, 'utf8')).logs);
  for (const entry of config.logs) {
    logs.push(logFromKey({ key: entry.key.includes('-----BEGIN') ? entry.key : entry.key.trim(), description: entry.description, operator: entry.operator, mmd: entry.mmd, ...(entry.url === undefined ? {} : { url: entry.url }) }));
  }
  const certificates = createCertificatesService({
    logs,
    trustAnchors: config.trust_anchors.map(pemOf),
    ...(config.use_system_roots === undefined ? {} : { useSystemRoots: config.use_system_roots }),
    policy: { mode: config.policy.mode, minScts: config.policy.min_scts, minOperators: config.policy.min_operators },
    requireCt: config.require_ct,
    clock,
  });
  let logServer: CtLogServer | undefined;
  let monitor: CtMonitor | undefined;

  return {
    certificates,
    logs,
    get logServer() {
      return logServer;
    },
    get monitor() {
      return monitor;
    },
    async start() {
      const server = config.log_server;
      if (server.enabled) {
        const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(server.listen)!;
        logServer = await startCtLogServer({
          host: host!,
          port: Number(port),
          roots: server.roots.map(pemOf),
          description: server.description,
          operator: server.operator,
          clock,
          ...(server.key_file === undefined ? {} : { keyFile: server.key_file }),
          ...(server.storage_file === undefined ? {} : { storageFile: server.storage_file }),
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
          ...(deps.onLogServerRejected === undefined ? {} : { onRejected: deps.onLogServerRejected }),
        });
        logs.push(logServer.log); // the list is shared with the certificates service
      }
      const m = config.monitor;
      if (m.enabled) {
        const follow = [
          ...m.logs.map((log) => ({ url: log.url, ...(log.key === undefined ? {} : { publicKey: log.key }) })),
          ...(deps.followUrls ?? []).map((url) => ({ url })),
          ...(logServer === undefined ? [] : [{ url: logServer.url, publicKey: logServer.log }]),
        ];
        monitor = new CtMonitor({
          logs: follow,
          watched: m.watched_domains.map((w) => ({
            domain: w.domain,
            includeSubdomains: w.include_subdomains,
            ...(w.expected_issuers === undefined ? {} : { expectedIssuers: w.expected_issuers }),
            ...(w.allowed_names === undefined ? {} : { allowedNames: w.allowed_names }),
          })),
          pollIntervalMs: m.poll_interval,
          batchSize: m.batch_size,
          burst: { max: m.burst.max, windowMs: m.burst.window },
          startAt: m.start_at,
          clock,
          ...(deps.hooks === undefined ? {} : { hooks: deps.hooks }),
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
        });
        monitor.start();
      }
    },
    async stop() {
      await monitor?.stop();
      await logServer?.close();
      monitor = undefined;
      logServer = undefined;
    },
  };
}
