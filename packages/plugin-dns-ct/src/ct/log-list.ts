import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';

/** The state of a log in Chrome's log list (its lifecycle, newest first wins). */
export type CtLogStateName = 'pending' | 'qualified' | 'usable' | 'readonly' | 'retired' | 'rejected';

/** One Certificate Transparency log. */
export interface CtLog {
  /** SHA-256 of the log's SubjectPublicKeyInfo, base64 (RFC 6962 §3.2 LogID). */
  readonly logId: string;
  /** The log's SubjectPublicKeyInfo, DER. */
  readonly key: Uint8Array;
  /** The key, ready for `crypto.verify`. */
  readonly publicKey: KeyObject;
  readonly description: string;
  /** The operator's name; the CT policy counts distinct operators. */
  readonly operator: string;
  /** The RFC 6962 API base URL (or the submission URL of a tiled log). */
  readonly url: string;
  /** Maximum merge delay, seconds. */
  readonly mmd: number;
  /** `rfc6962` logs have the HTTP API; `tiled` logs (static-ct-api) are listed but not followed. */
  readonly kind: 'rfc6962' | 'tiled';
  /** The current state and since when (ms since the epoch), when the list gives one. */
  readonly state?: { readonly name: CtLogStateName; readonly since: number };
  /** The window of notAfter dates the log accepts (sharded logs), ms since the epoch. */
  readonly temporalInterval?: { readonly startInclusive: number; readonly endExclusive: number };
}

/** A parsed log list. */
export interface CtLogList {
  readonly version?: string;
  /** `log_list_timestamp`, ms since the epoch. */
  readonly timestamp?: number;
  readonly logs: readonly CtLog[];
  /** Entries that were skipped, as sentences (e.g. a log id that is not the hash of its key). */
  readonly problems: readonly string[];
}

const isoTime = z.string().transform((value, ctx) => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: `'${value}' is not an RFC 3339 time` });
  return ms;
});
const stateSchema = z.record(z.string(), z.object({ timestamp: isoTime }).loose());
const logSchema = z
  .object({
    description: z.string().default(''),
    log_id: z.string(),
    key: z.string(),
    url: z.string().optional(),
    submission_url: z.string().optional(),
    mmd: z.number().default(86_400),
    state: stateSchema.optional(),
    temporal_interval: z.object({ start_inclusive: isoTime, end_exclusive: isoTime }).optional(),
  })
  .loose();
const logListSchema = z
  .object({
    version: z.string().optional(),
    log_list_timestamp: isoTime.optional(),
    operators: z.array(
      z.object({ name: z.string(), logs: z.array(logSchema).default([]), tiled_logs: z.array(logSchema).default([]) }).loose(),
    ),
  })
  .loose();

const STATES: readonly CtLogStateName[] = ['pending', 'qualified', 'usable', 'readonly', 'retired', 'rejected'];

/**
 * Parses Chrome's CT log list v3 (`log_list.json` / `all_logs_list.json`, schema
 * `log_list_schema.json`). Accepts the JSON text or the parsed value. A log whose `log_id` is not
 * the SHA-256 of its `key`, or whose key cannot be loaded, is skipped and named in `problems`.
 * Throws `E_CT_LOG_LIST` when the document itself is not a log list.
 */
export function parseLogList(json: string | unknown): CtLogList {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      throw new DnsCtError(DnsCtErrorCode.CtLogList, `The CT log list is not JSON (${(cause as Error).message}); give Chrome's log list v3.`, { cause });
    }
  }
  const parsed = logListSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DnsCtError(
      DnsCtErrorCode.CtLogList,
      `The CT log list is not Chrome's log list v3: at '${issue.path.join('.')}', ${issue.message}.`,
      { details: { issues: parsed.error.issues } },
    );
  }
  const logs: CtLog[] = [];
  const problems: string[] = [];
  for (const operator of parsed.data.operators) {
    for (const [kind, entries] of [['rfc6962', operator.logs], ['tiled', operator.tiled_logs]] as const) {
      for (const entry of entries) {
        try {
          logs.push(toLog(entry, operator.name, kind));
        } catch (err) {
          problems.push(`log '${entry.description}' (${entry.log_id}) of '${operator.name}' was skipped: ${(err as Error).message}`);
        }
      }
    }
  }
  return {
    ...(parsed.data.version === undefined ? {} : { version: parsed.data.version }),
    ...(parsed.data.log_list_timestamp === undefined ? {} : { timestamp: parsed.data.log_list_timestamp }),
    logs,
    problems,
  };
}

function toLog(entry: z.infer<typeof logSchema>, operator: string, kind: CtLog['kind']): CtLog {
  const key = new Uint8Array(Buffer.from(entry.key, 'base64'));
  const id = createHash('sha256').update(key).digest('base64');
  if (id !== entry.log_id) throw new Error(`its log_id is not the SHA-256 of its key (${id})`);
  const stateName = entry.state === undefined ? undefined : STATES.find((name) => entry.state![name] !== undefined);
  return {
    logId: id,
    key,
    publicKey: loadLogKey(key),
    description: entry.description,
    operator,
    url: entry.url ?? entry.submission_url ?? '',
    mmd: entry.mmd,
    kind,
    ...(stateName === undefined ? {} : { state: { name: stateName, since: entry.state![stateName]!.timestamp } }),
    ...(entry.temporal_interval === undefined
      ? {}
      : { temporalInterval: { startInclusive: entry.temporal_interval.start_inclusive, endExclusive: entry.temporal_interval.end_exclusive } }),
  };
}

/** Loads a log key given as SPKI DER, base64 DER or PEM. Throws `E_CT_LOG_KEY`. */
export function loadLogKey(key: Uint8Array | string | KeyObject): KeyObject {
  if (isKeyObject(key)) return key;
  try {
    const publicKey =
      typeof key === 'string'
        ? key.includes('-----BEGIN')
          ? createPublicKey(key)
          : createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' })
        : createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' });
    const type = publicKey.asymmetricKeyType;
    if (type === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`EC curve ${publicKey.asymmetricKeyDetails?.namedCurve} is not P-256`);
    }
    if (type !== 'ec' && type !== 'rsa') throw new Error(`key type ${type} is not ECDSA or RSA`);
    return publicKey;
  } catch (cause) {
    throw new DnsCtError(DnsCtErrorCode.CtLogKey, `The CT log key cannot be used: ${(cause as Error).message}. Give the log's SubjectPublicKeyInfo (DER, base64 or PEM).`, { cause });
  }
}

function isKeyObject(key: unknown): key is KeyObject {
  return typeof key === 'object' && key !== null && 'asymmetricKeyType' in key && 'export' in key;
}

/** The log id (base64 SHA-256 of the SPKI) of a key. */
export function logIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64');
}

/** A log entry made from a bare key, for logs that are not in a list (tests, a cluster's own log). */
export function logFromKey(options: { key: Uint8Array | string | KeyObject; description?: string; operator?: string; url?: string; mmd?: number }): CtLog {
  const publicKey = loadLogKey(options.key);
  return {
    logId: logIdOf(publicKey),
    key: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    publicKey,
    description: options.description ?? 'unnamed log',
    operator: options.operator ?? 'unknown operator',
    url: options.url ?? '',
    mmd: options.mmd ?? 86_400,
    kind: 'rfc6962',
  };
}
