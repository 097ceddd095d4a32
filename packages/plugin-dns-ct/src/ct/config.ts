/**
 * The `ct` section of the plugin config: which logs SCTs may come from, the CT policy, the trust
 * anchors of X.509 path validation, the CT monitor and the cluster's own CT log. Keys are
 * snake_case like the rest of the Cluster document; durations are milliseconds or strings with a
 * unit (`30s`, `1h`).
 */
import { durationSchema } from '@hypermesh/runtime';
import { z } from 'zod';

/** PEM text, or the path of a PEM file. */
const pemOrPath = z.string().min(1);

/** A log given directly (the cluster's own log, or one missing from the list). */
const logEntrySchema = z.strictObject({
  /** A name for people and for verdicts. */
  description: z.string().min(1),
  /** The log's public key: base64 SubjectPublicKeyInfo (as in the log list) or PEM. */
  key: z.string().min(1),
  /** The log operator; the policy counts distinct operators. */
  operator: z.string().min(1),
  /** The log's RFC 6962 base URL. */
  url: z.url().optional(),
  /** Maximum merge delay, seconds. */
  mmd: z.number().int().positive().default(86_400),
});

const watchedDomainSchema = z.strictObject({
  /** The domain to watch, e.g. `example.com`. */
  domain: z.string().min(1),
  /** Also watch names below it. */
  include_subdomains: z.boolean().default(true),
  /** Substrings of the issuer DN allowed to certify the domain (e.g. `O=Let's Encrypt`); others are flagged. */
  expected_issuers: z.array(z.string().min(1)).optional(),
  /** Names (wildcards allowed) its certificates may carry; other names are flagged as a SAN mismatch. */
  allowed_names: z.array(z.string().min(1)).optional(),
});

/** The zod schema of the `ct` config section. */
export const ctConfigSchema = z.strictObject({
  /** Path of Chrome's log list v3 JSON (`log_list.json`); its logs are trusted for SCTs. */
  log_list_file: z.string().min(1).optional(),
  /** Logs trusted in addition to the list. */
  logs: z.array(logEntrySchema).default([]),
  /** The CT policy: `chrome` (2 or 3 SCTs by lifetime) or `fixed` (`min_scts`), from `min_operators` operators. */
  policy: z
    .strictObject({
      mode: z.enum(['chrome', 'fixed']).default('chrome'),
      /** Valid SCTs required in `fixed` mode. */
      min_scts: z.number().int().min(0).default(2),
      /** Distinct log operators required. */
      min_operators: z.number().int().min(0).default(2),
    })
    .prefault({}),
  /** When false, a certificate that fails only the CT policy still verifies (the CT part is reported). */
  require_ct: z.boolean().default(true),
  /** Trusted roots for path validation: PEM text or PEM files. */
  trust_anchors: z.array(pemOrPath).default([]),
  /** Also trust Node's bundled Mozilla roots; default: only when `trust_anchors` is empty. */
  use_system_roots: z.boolean().optional(),
  /** The CT monitor: follows logs and flags suspicious certificates through the `ct.suspicious` hook. */
  monitor: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Logs to follow: RFC 6962 base URL and, to verify tree heads, the key (base64 SPKI or PEM). */
      logs: z.array(z.strictObject({ url: z.url(), key: z.string().min(1).optional() })).default([]),
      watched_domains: z.array(watchedDomainSchema).default([]),
      /** How often get-sth is polled. */
      poll_interval: durationSchema.default(60_000),
      /** Entries per get-entries request. */
      batch_size: z.number().int().min(1).max(1024).default(256),
      /** Flag a name certified more than `max` times within `window`. */
      burst: z.strictObject({ max: z.number().int().min(1).default(5), window: durationSchema.default(86_400_000) }).prefault({}),
      /** `latest`: start at a log's current size; `beginning`: read every entry. */
      start_at: z.enum(['latest', 'beginning']).default('latest'),
    })
    .prefault({}),
  /** The cluster's own CT log (RFC 6962 HTTP API), so certificates can be logged offline. */
  log_server: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** HOST:PORT to listen on; port 0 picks a free port. */
      listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be HOST:PORT, e.g. 127.0.0.1:6962' }).default('127.0.0.1:6962'),
      /** PEM file of the log's private key; a P-256 key is generated into it when missing. */
      key_file: z.string().min(1).optional(),
      /** File the log appends entries to and reloads at start; without it the log is in memory. */
      storage_file: z.string().min(1).optional(),
      /** Roots whose chains the log accepts (PEM text or files); empty: any chain whose signatures link. */
      roots: z.array(pemOrPath).default([]),
      description: z.string().min(1).default('HyperMesh cluster CT log'),
      operator: z.string().min(1).default('HyperMesh cluster'),
    })
    .prefault({}),
});

/** The `ct` config section as the plugin receives it (defaults applied). */
export type CtConfig = z.output<typeof ctConfigSchema>;
