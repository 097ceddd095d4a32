import type { ApiKeyStore } from './api-keys.js';
import type { JwtVerdict } from './jwt.js';
import type { Principal } from './roles.js';

/** What a request presents: the `Authorization` header and/or an `X-API-Key` header. */
export interface Credentials {
  readonly authorization?: string | undefined;
  readonly apiKey?: string | undefined;
}

/** The outcome of authentication. */
export type AuthOutcome =
  | { readonly kind: 'ok'; readonly principal: Principal }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** What {@link createAuthenticator} needs. */
export interface AuthenticatorOptions {
  readonly keys: ApiKeyStore;
  /** The JWT verifier, when JWTs are accepted. */
  readonly jwt?: ((token: string, nowMs: number) => JwtVerdict) | undefined;
  /** With RBAC off every authenticated caller acts as admin. */
  readonly rbac: boolean;
  /** The clock service's `now`. */
  readonly now: () => number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Authenticates a request: `Authorization: Bearer <JWT>` when it has the shape of a JWT and JWTs
 * are configured, otherwise `Authorization: Bearer <API key>` or `X-API-Key: <API key>`.
 */
export function createAuthenticator(options: AuthenticatorOptions): (credentials: Credentials) => AuthOutcome {
  const withRbac = (principal: Principal): AuthOutcome => ({
    kind: 'ok',
    principal: options.rbac ? principal : { ...principal, role: 'admin' },
  });
  return (credentials) => {
    let token = credentials.apiKey?.trim();
    const header = credentials.authorization?.trim();
    if (header !== undefined && header !== '') {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (m === null) return { kind: 'invalid', reason: 'the Authorization header must be "Bearer <token or API key>"' };
      token = m[1]!;
    }
    if (token === undefined || token === '') return { kind: 'missing' };
    if (options.jwt !== undefined && JWT_SHAPE.test(token)) {
      const verdict = options.jwt(token, options.now());
      return verdict.ok ? withRbac(verdict.principal) : { kind: 'invalid', reason: verdict.reason };
    }
    const principal = options.keys.authenticate(token);
    return principal === undefined ? { kind: 'invalid', reason: 'the API key is not known to this gateway' } : withRbac(principal);
  };
}
