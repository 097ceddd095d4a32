import { ctSuspiciousHook, systemClock, type ClockService, type CtSuspiciousCertificate, type HookApi, type TimerHandle } from '@hypermesh/runtime';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { matchesName } from '../x509/hostname.js';
import { CtLogClient, type LogEntry } from './log-client.js';
import type { CtLogger } from './logger.js';
import { leafHash, verifyConsistency } from './merkle/proofs.js';
import { MerkleTree } from './merkle/tree.js';
import type { LogKeyInput, TreeHead } from './sth.js';
import { TlsReader } from './tls-codec.js';

/** A domain the monitor watches and what its certificates should look like. */
export interface WatchedDomain {
  /** The domain, e.g. `example.com`. */
  readonly domain: string;
  /** Also watch names below it (default true). */
  readonly includeSubdomains?: boolean;
  /** Issuers allowed to certify it: a certificate whose issuer DN contains none of these is flagged. */
  readonly expectedIssuers?: readonly string[];
  /** Names (wildcards allowed) a certificate for this domain may carry; any other name is a SAN mismatch. */
  readonly allowedNames?: readonly string[];
}

/** A log the monitor follows. */
export interface MonitoredLog {
  readonly url: string;
  /** The log's key; when given every STH is verified. */
  readonly publicKey?: LogKeyInput;
}

/** Options of {@link CtMonitor}. */
export interface CtMonitorOptions {
  readonly logs: readonly MonitoredLog[];
  readonly watched: readonly WatchedDomain[];
  /** How often to poll get-sth, ms (default 60 000). */
  readonly pollIntervalMs?: number;
  /** Entries asked per get-entries request (default 256). */
  readonly batchSize?: number;
  /** Flag a name certified more than `max` times within `windowMs` (default 5 in 24 h). */
  readonly burst?: { readonly max: number; readonly windowMs: number };
  /**
   * `beginning` reads every entry and checks that the entries rebuild each tree head's root;
   * `latest` starts at the log's current size (for big public logs). Default `beginning`.
   */
  readonly startAt?: 'beginning' | 'latest';
  /** Where findings go: the runtime's hooks (`ct.suspicious` is called) or a function. */
  readonly hooks?: Pick<HookApi, 'call'>;
  readonly onSuspicious?: (finding: CtSuspiciousCertificate) => void | Promise<void>;
  /** Called when a log misbehaves (STH does not verify, inconsistent tree) or cannot be read. */
  readonly onLogError?: (url: string, error: Error) => void;
  readonly clock?: ClockService;
  readonly logger?: CtLogger;
  readonly fetch?: typeof fetch;
}

/** What the monitor knows of one log. */
export interface MonitoredLogState {
  readonly url: string;
  /** The last tree head whose consistency with the previous one was verified. */
  readonly treeHead?: TreeHead;
  /** Entries read so far. */
  readonly processed: number;
  readonly lastError?: string;
}

interface LogState {
  readonly client: CtLogClient;
  treeHead?: TreeHead;
  processed: number;
  lastError?: string;
  /** The leaf hashes read, when following from the first entry: the entries must rebuild each tree head. */
  tree?: MerkleTree;
}

/**
 * Follows CT logs (RFC 6962 §5.3 monitor): polls get-sth, verifies each new tree head against the
 * previous one with a consistency proof, reads the new entries and flags certificates for watched
 * domains that look wrong — an unexpected issuer, a SAN mismatch, or a burst of certificates for
 * one name — through the `ct.suspicious` hook.
 */
export class CtMonitor {
  private readonly states: LogState[];
  private readonly issuance = new Map<string, number[]>();
  private readonly clock: ClockService;
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: CtMonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.states = options.logs.map((log) => ({
      client: new CtLogClient({ url: log.url, ...(log.publicKey === undefined ? {} : { publicKey: log.publicKey }), ...(options.fetch === undefined ? {} : { fetch: options.fetch }) }),
      processed: -1,
    }));
  }

  /** Polls now and then every `pollIntervalMs`. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.poll();
    this.timer = this.clock.setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 60_000);
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** What the monitor knows of each log. */
  status(): MonitoredLogState[] {
    return this.states.map((s) => ({
      url: s.client.url,
      processed: Math.max(0, s.processed),
      ...(s.treeHead === undefined ? {} : { treeHead: s.treeHead }),
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    }));
  }

  /** One round over every log; concurrent calls share the round in progress. */
  poll(): Promise<void> {
    this.polling ??= Promise.all(this.states.map((state) => this.pollLog(state))).then(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollLog(state: LogState): Promise<void> {
    try {
      const sth = await state.client.getSth();
      const previous = state.treeHead;
      if (previous !== undefined) {
        if (sth.treeSize < previous.treeSize) throw new Error(`the tree shrank from ${previous.treeSize} to ${sth.treeSize} entries`);
        if (previous.treeSize > 0) {
          const proof = sth.treeSize === previous.treeSize ? [] : await state.client.getSthConsistency(previous.treeSize, sth.treeSize);
          const verdict = verifyConsistency({ oldSize: previous.treeSize, newSize: sth.treeSize, oldRoot: previous.rootHash, newRoot: sth.rootHash, proof });
          if (!verdict.valid) throw new Error(`tree head ${sth.treeSize} is not consistent with tree head ${previous.treeSize}: ${verdict.reason}`);
        }
      }
      state.treeHead = { treeSize: sth.treeSize, timestamp: sth.timestamp, rootHash: sth.rootHash };
      if (state.processed < 0) {
        state.processed = this.options.startAt === 'latest' ? sth.treeSize : 0;
        if (state.processed === 0) state.tree = new MerkleTree();
      }
      while (state.processed < sth.treeSize) {
        const end = Math.min(sth.treeSize, state.processed + (this.options.batchSize ?? 256)) - 1;
        const entries = await state.client.getEntries(state.processed, end);
        if (entries.length === 0) throw new Error(`get-entries ${state.processed}-${end} returned nothing`);
        for (const entry of entries) {
          state.tree?.append(leafHash(entry.leafInput));
          await this.inspect(state.client.url, entry);
        }
        state.processed += entries.length;
      }
      // Followed from the first entry: the entries served must rebuild the signed root (RFC 6962 §5.3).
      if (state.tree !== undefined && Buffer.compare(state.tree.root(sth.treeSize), sth.rootHash) !== 0) {
        throw new Error(`the entries served do not rebuild the root hash of tree head ${sth.treeSize}`);
      }
      delete state.lastError;
    } catch (err) {
      state.lastError = (err as Error).message;
      this.options.logger?.warn({ log: state.client.url, err }, 'CT monitor could not follow the log');
      this.options.onLogError?.(state.client.url, err as Error);
    }
  }

  private async inspect(url: string, entry: LogEntry): Promise<void> {
    let cert: Certificate;
    try {
      cert = parseCertificate(entry.leaf.entry.type === 'x509' ? entry.leaf.entry.certificate : precertificateOf(entry.extraData));
    } catch (err) {
      this.options.logger?.warn({ log: url, index: entry.index, err }, 'CT monitor skipped an entry it cannot parse');
      return;
    }
    const names = [...new Set([...cert.subjectAltNames, ...cert.commonNames].map((n) => n.toLowerCase().replace(/\.$/, '')))];
    for (const watch of this.options.watched) {
      const domain = watch.domain.toLowerCase();
      const relevant = names.filter((name) => concerns(name, domain, watch.includeSubdomains ?? true));
      if (relevant.length === 0) continue;
      const reasons: string[] = [];
      if (watch.expectedIssuers !== undefined && !watch.expectedIssuers.some((issuer) => cert.issuer.includes(issuer))) {
        reasons.push(`unexpected issuer '${cert.issuer}' (expected one of: ${watch.expectedIssuers.join('; ')})`);
      }
      const sans = cert.subjectAltNames.map((n) => n.toLowerCase());
      for (const cn of cert.commonNames) {
        if (!sans.includes(cn.toLowerCase())) reasons.push(`SAN mismatch: the subject CN '${cn}' is not among the subjectAltNames`);
      }
      if (watch.allowedNames !== undefined) {
        const unexpected = names.filter((name) => !watch.allowedNames!.some((allowed) => allowed.toLowerCase() === name || matchesName(allowed.toLowerCase(), name)));
        if (unexpected.length > 0) reasons.push(`SAN mismatch: names not allowed for ${domain}: ${unexpected.join(', ')}`);
      }
      reasons.push(...this.burst(relevant, entry.leaf.timestamp));
      if (reasons.length === 0) continue;
      const finding: CtSuspiciousCertificate = {
        domain,
        reasons,
        certificate: { fingerprintSha256: cert.fingerprintSha256, issuer: cert.issuer, subjectAltNames: cert.subjectAltNames, notBefore: cert.notBefore, notAfter: cert.notAfter },
        log: { url, index: entry.index },
        at: this.clock.now(),
      };
      this.options.logger?.warn({ domain, reasons, log: url, index: entry.index }, 'CT monitor found a suspicious certificate');
      if (this.options.hooks !== undefined) await this.options.hooks.call(ctSuspiciousHook, finding);
      await this.options.onSuspicious?.(finding);
    }
  }

  /** Records issuance times per name and reports names certified too often within the window. */
  private burst(names: readonly string[], timestamp: number): string[] {
    const { max, windowMs } = this.options.burst ?? { max: 5, windowMs: 86_400_000 };
    const reasons: string[] = [];
    for (const name of names) {
      const times = (this.issuance.get(name) ?? []).filter((t) => t > timestamp - windowMs);
      times.push(timestamp);
      this.issuance.set(name, times);
      if (times.length > max) reasons.push(`${times.length} certificates for '${name}' within ${Math.round(windowMs / 60_000)} minutes (more than ${max})`);
    }
    return reasons;
  }
}

/** True when a certificate name concerns a watched domain. */
function concerns(name: string, domain: string, includeSubdomains: boolean): boolean {
  if (name === domain || name === `*.${domain}`) return true;
  return includeSubdomains && name.endsWith(`.${domain}`);
}

/** The precertificate at the head of a PrecertChainEntry (RFC 6962 §4.6 extra_data). */
function precertificateOf(extraData: Uint8Array): Uint8Array {
  return new TlsReader(extraData).vector(3);
}
