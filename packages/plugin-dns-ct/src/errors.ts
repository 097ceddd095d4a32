/**
 * Every error `@hypermesh/plugin-dns-ct` throws, one registry: a stable `code`, the plugin name,
 * and a sentence that quotes the ids and says what to do. DNS failures seen by clients are never
 * thrown: they are rcodes with Extended DNS Errors. These codes are for callers of the API.
 */
import { HypermeshError, type HypermeshErrorOptions } from '@hypermesh/runtime';

/** The npm name of this plugin, carried by every error it throws. */
export const PLUGIN_NAME = '@hypermesh/plugin-dns-ct';

/** The stable error codes of `@hypermesh/plugin-dns-ct`. */
export const DnsCtErrorCode = {
  // ---- DNS codes ----
  /** A question given to `resolver.resolve` is malformed (bad name, unknown type). */
  Question: 'E_DNS_QUESTION',
  /** A record given to `resolver.zone.upsert` is malformed or outside the cluster domain. */
  ZoneRecord: 'E_DNS_ZONE_RECORD',
  /** A zone file could not be read or has a syntax error; the message gives file and line. */
  ZoneFile: 'E_DNS_ZONE_FILE',
  /** A listener could not bind its address (in use, permission, bad address). */
  Listen: 'E_DNS_LISTEN',
  /** The TLS certificate or key for DoT/DoH could not be read or does not match. */
  TlsConfig: 'E_DNS_TLS_CONFIG',
  /** The config names something that cannot work together (e.g. `agreement: cluster` without consensus). */
  Config: 'E_DNS_CONFIG',
  /** A zone change submitted through consensus did not commit. */
  ZoneCommit: 'E_DNS_ZONE_COMMIT',
  /** An upstream query failed (timeout, refused connection, bad response); used inside the forwarder. */
  Upstream: 'E_DNS_UPSTREAM',
  /** A DNS message could not be encoded (a name or record exceeds the wire limits). */
  Encode: 'E_DNS_ENCODE',
  /** An operation was aborted by its signal. */
  Aborted: 'E_DNS_ABORTED',
  // ---- CT codes (owned by the CT engineer) ----
  /** The input given as a certificate is not one (not PEM/DER, or not an X.509 structure). */
  CertParse: 'E_CERT_PARSE',
  /** A CT log list is not Chrome's log list v3 JSON; the message names the first bad field. */
  CtLogList: 'E_CT_LOG_LIST',
  /** A CT log's public key cannot be used (not SPKI DER/PEM, or not ECDSA P-256 / RSA). */
  CtLogKey: 'E_CT_LOG_KEY',
  /** A CT log answered with an HTTP error, or could not be reached. */
  CtLogHttp: 'E_CT_LOG_HTTP',
  /** A CT log's answer is malformed or does not verify (STH signature, consistency, inclusion). */
  CtLogResponse: 'E_CT_LOG_RESPONSE',
  /** The CT log server refused a submission (chain does not verify, unknown root, bad JSON). */
  CtSubmission: 'E_CT_SUBMISSION',
  /** The CT log server could not start (listen failed, storage unreadable). */
  CtLogServer: 'E_CT_LOG_SERVER',
  // ---- end of CT codes ----
} as const;

/** One of this package's stable error codes. */
export type DnsCtErrorCode = (typeof DnsCtErrorCode)[keyof typeof DnsCtErrorCode];

/** An error thrown by `@hypermesh/plugin-dns-ct`; `plugin` is always this package. */
export class DnsCtError extends HypermeshError<DnsCtErrorCode> {
  constructor(code: DnsCtErrorCode, message: string, options: Omit<HypermeshErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin: PLUGIN_NAME });
    this.name = 'DnsCtError';
  }
}
