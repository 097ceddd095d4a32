import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier, signJwt, type JwtAlgorithm } from './jwt.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const NOW = 1_700_000_000_000;

function signAsymmetric(alg: 'RS256' | 'ES256' | 'EdDSA', claims: object, privateKey: ReturnType<typeof generateKeyPairSync>['privateKey']) {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const signature =
    alg === 'EdDSA'
      ? sign(null, Buffer.from(input), privateKey)
      : sign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

const options = (extra: Partial<Parameters<typeof createJwtVerifier>[0]>) =>
  createJwtVerifier({ algorithms: ['HS256'], clockToleranceSeconds: 30, roleClaim: 'role', ...extra });

describe('JWT verification', () => {
  it.each([
    ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['EdDSA', generateKeyPairSync('ed25519')],
  ] as const)('verifies %s tokens with a public key and refuses tampered ones', (alg, pair) => {
    const verify = options({ algorithms: [alg as JwtAlgorithm], publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const token = signAsymmetric(alg, { sub: 'ci', role: 'viewer', exp: NOW / 1000 + 60 }, pair.privateKey);
    expect(verify(token, NOW)).toEqual({ ok: true, principal: { id: 'ci', role: 'viewer', via: 'jwt' } });
    const [h, , s] = token.split('.');
    expect(verify(`${h}.${b64({ sub: 'ci', role: 'admin', exp: NOW / 1000 + 60 })}.${s}`, NOW)).toEqual({ ok: false, reason: 'the JWT signature does not verify' });
  });

  it('refuses an HS256 token signed with the public key as secret (algorithm confusion)', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verify = options({ algorithms: ['EdDSA'], publicKey: pem });
    expect(verify(signJwt({ sub: 'x', role: 'admin' }, pem), NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('"HS256" is not accepted') });
  });

  it('applies the clock tolerance to exp and nbf, and checks iss and aud', () => {
    const secret = 's'.repeat(32);
    const verify = options({ secret, issuer: 'hypermesh', audience: 'api' });
    const at = NOW / 1000;
    const ok = (claims: object) => verify(signJwt({ sub: 'a', role: 'viewer', iss: 'hypermesh', aud: ['api', 'other'], ...claims }, secret), NOW).ok;
    expect(ok({ exp: at - 29 })).toBe(true);
    expect(ok({ exp: at - 31 })).toBe(false);
    expect(ok({ nbf: at + 29 })).toBe(true);
    expect(ok({ nbf: at + 31 })).toBe(false);
    expect(ok({ iss: 'someone-else' })).toBe(false);
    expect(ok({ aud: 'web' })).toBe(false);
  });
});
