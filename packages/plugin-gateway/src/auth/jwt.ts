import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ROLES, type Principal, type Role } from './roles.js';

/** The JWS algorithms the gateway verifies (RFC 7518 §3.1, RFC 8037 for EdDSA). */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

/** How tokens are checked. */
export interface JwtVerifierOptions {
  /** Shared secret for the HS* algorithms. */
  readonly secret?: string;
  /** PEM public key for RS256, ES256 and EdDSA. */
  readonly publicKey?: string;
  /** Accepted `alg` values. */
  readonly algorithms: readonly JwtAlgorithm[];
  /** Required `iss`, when set. */
  readonly issuer?: string;
  /** Required `aud` (equal, or contained in an array), when set. */
  readonly audience?: string;
  /** Seconds of skew tolerated for `exp` and `nbf`. */
  readonly clockToleranceSeconds: number;
  /** The claim that carries the role. */
  readonly roleClaim: string;
}

/** The outcome of verifying a token: the caller, or why the token is refused. */
export type JwtVerdict = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function checkSignature(alg: string, signingInput: string, signature: Buffer, secret: string | undefined, key: KeyObject | undefined): boolean {
  const hash = HMAC[alg];
  if (hash !== undefined) {
    if (secret === undefined) return false;
    const expected = createHmac(hash, secret).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  if (key === undefined) return false;
  const data = Buffer.from(signingInput);
  try {
    if (alg === 'RS256') return key.asymmetricKeyType === 'rsa' && verify('sha256', data, key, signature);
    if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519' && verify(null, data, key, signature);
  } catch {
    return false;
  }
  return false;
}

/**
 * Verifies compact JWS tokens (RFC 7515) carrying JWT claims (RFC 7519): the signature with the
 * configured key, `alg` against the allowed list (so `none` and algorithm confusion are refused),
 * `exp` and `nbf` against `now` with the tolerance, `iss`/`aud` when configured, and a `sub` and a
 * role claim naming one of the gateway's roles.
 */
export function createJwtVerifier(options: JwtVerifierOptions): (token: string, nowMs: number) => JwtVerdict {
  const key = options.publicKey === undefined ? undefined : createPublicKey(options.publicKey);
  const allowed = new Set<string>(options.algorithms);
  return (token, nowMs) => {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'the bearer token is not a JWT (three base64url parts)' };
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart);
    if (header === undefined) return { ok: false, reason: 'the JWT header is not base64url JSON' };
    const alg = header.alg;
    if (typeof alg !== 'string' || !allowed.has(alg)) {
      return { ok: false, reason: `the JWT algorithm ${JSON.stringify(alg)} is not accepted (accepted: ${[...allowed].join(', ')})` };
    }
    if (!checkSignature(alg, `${headerPart}.${payloadPart}`, Buffer.from(signaturePart, 'base64url'), options.secret, key)) {
      return { ok: false, reason: 'the JWT signature does not verify' };
    }
    const claims = decodeJson(payloadPart);
    if (claims === undefined) return { ok: false, reason: 'the JWT payload is not base64url JSON' };
    const now = nowMs / 1000;
    const tolerance = options.clockToleranceSeconds;
    if (claims.exp !== undefined) {
      if (typeof claims.exp !== 'number') return { ok: false, reason: 'the JWT exp claim is not a number' };
      if (now > claims.exp + tolerance) return { ok: false, reason: `the JWT expired at ${new Date(claims.exp * 1000).toISOString()}; get a new token` };
    }
    if (claims.nbf !== undefined) {
      if (typeof claims.nbf !== 'number') return { ok: false, reason: 'the JWT nbf claim is not a number' };
      if (now < claims.nbf - tolerance) return { ok: false, reason: `the JWT is not valid before ${new Date(claims.nbf * 1000).toISOString()}` };
    }
    if (options.issuer !== undefined && claims.iss !== options.issuer) {
      return { ok: false, reason: `the JWT issuer ${JSON.stringify(claims.iss)} is not ${JSON.stringify(options.issuer)}` };
    }
    if (options.audience !== undefined) {
      const aud = claims.aud;
      const matches = aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience));
      if (!matches) return { ok: false, reason: `the JWT audience ${JSON.stringify(aud)} does not include ${JSON.stringify(options.audience)}` };
    }
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) return { ok: false, reason: 'the JWT has no sub claim (who is calling)' };
    const role = claims[options.roleClaim];
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      return { ok: false, reason: `the JWT claim ${options.roleClaim} must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}` };
    }
    return { ok: true, principal: { id: claims.sub, role: role as Role, via: 'jwt' } };
  };
}

/** Claims {@link signJwt} puts in a token. */
export interface JwtClaims {
  /** Who the token is for (the audit log's "who"). */
  readonly sub: string;
  /** The gateway role. */
  readonly role: Role;
  /** Expiry, seconds since the epoch. */
  readonly exp?: number;
  /** Not before, seconds since the epoch. */
  readonly nbf?: number;
  /** Issued at, seconds since the epoch. */
  readonly iat?: number;
  /** Issuer. */
  readonly iss?: string;
  /** Audience. */
  readonly aud?: string | readonly string[];
}

/** Signs an HS256/HS384/HS512 JWT with a shared secret — for operators' tooling and tests. */
export function signJwt(claims: JwtClaims, secret: string, algorithm: 'HS256' | 'HS384' | 'HS512' = 'HS256'): string {
  const signingInput = `${base64url(JSON.stringify({ alg: algorithm, typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${createHmac(HMAC[algorithm]!, secret).update(signingInput).digest('base64url')}`;
}
