import { z } from 'zod';
import { ROLES } from './auth/roles.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free port)' });

const keyId = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._-]{0,62})$/, { message: 'must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' });

/** One API key allowed to call the gateway. */
export const apiKeySchema = z
  .strictObject({
    /** The key's id: who the audit log says acted. */
    id: keyId,
    /** What the key may do. */
    role: z.enum(ROLES),
    /** SHA-256 of the secret key, lower-case hex (what `hypermesh init` writes). */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'must be the SHA-256 of the key as 64 lower-case hex digits' })
      .optional(),
    /** The secret itself (use `${ENV}` interpolation rather than writing it in a file). */
    key: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  })
  .refine((k) => (k.sha256 === undefined) !== (k.key === undefined), { message: 'give exactly one of sha256 or key' });

/** One API key as configured. */
export type ApiKeyConfig = z.output<typeof apiKeySchema>;

/** JWT bearer tokens (RFC 7519) the gateway accepts. */
const jwtSchema = z
  .strictObject({
    /** Shared secret for HS256/HS384/HS512 (at least 32 characters). */
    secret: z.string().min(32, { message: 'must be at least 32 characters (256 bits) for HMAC-SHA-256' }).optional(),
    /** Public key (PEM) for RS256, ES256 or EdDSA tokens. */
    publicKey: z.string().startsWith('-----BEGIN', { message: 'must be a PEM public key' }).optional(),
    /** Accepted `alg` values; a token with another `alg` (including `none`) is refused. */
    algorithms: z.array(z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'])).min(1).default(['HS256']),
    /** When set, the `iss` claim must equal it. */
    issuer: z.string().optional(),
    /** When set, the `aud` claim must equal or contain it. */
    audience: z.string().optional(),
    /** Seconds of clock skew tolerated for `exp` and `nbf`. */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** The claim that carries the role. */
    roleClaim: z.string().default('role'),
  })
  .refine((j) => j.secret !== undefined || j.publicKey !== undefined, { message: 'give a secret (HS*) or a publicKey (RS256/ES256/EdDSA)' });

/** The gateway's config slice (`config['@hypermesh/plugin-gateway']`). */
export const gatewayConfigSchema = z.strictObject({
  /** Where the REST API listens. Port 0 picks a free port (tests); `gatewayRef` reports the one bound. */
  listen: hostPort.default('127.0.0.1:8080'),
  /** The gRPC API: a generic service with JSON messages (`hypermesh.gateway.v1.Gateway`). */
  grpc: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Where the gRPC API listens (plaintext; keep it on loopback or put TLS in front). */
      listen: hostPort.default('127.0.0.1:9090'),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Static API keys. Keys made through `POST /v1/keys` are added at runtime. */
      apiKeys: z.array(apiKeySchema).default([]),
      /** JWT bearer tokens; omitted = API keys only. */
      jwt: jwtSchema.optional(),
      /** A JSON file where keys created through the API are kept (hashes only); omitted = memory only. */
      keysFile: z.string().optional(),
    })
    .prefault({}),
  /** Role-based access control. `false`: every authenticated caller acts as admin (still audited). */
  rbac: z.boolean().default(true),
  audit: z
    .strictObject({
      /** Record every mutating call. */
      enabled: z.boolean().default(true),
      /** Append-only JSON-lines file; omitted = kept in memory only. */
      file: z.string().optional(),
      /** Entries kept in memory for `GET /v1/audit` (the file keeps all). */
      memoryEntries: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .prefault({}),
  /** Token buckets per caller. */
  rateLimit: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Sustained requests per second per API key or token subject. */
      requestsPerSecond: z.number().positive().default(50),
      /** Requests allowed in a burst. */
      burst: z.number().int().min(1).default(100),
      /** Sustained rate for requests without valid credentials, per client address. */
      unauthenticatedPerSecond: z.number().positive().default(2),
      /** Burst for requests without valid credentials, per client address. */
      unauthenticatedBurst: z.number().int().min(1).default(20),
    })
    .prefault({}),
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** How long a request may take to arrive in full (ms) before the connection is closed. */
  requestTimeoutMs: z.number().int().min(100).default(30_000),
});

/** The gateway's config with defaults applied. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
