import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClusterCa } from '../certs/cluster-ca.js';
import { loadTlsMaterial } from './tls-material.js';

describe('loading TLS material', () => {
  const ca = createClusterCa();
  const a = ca.issueNodeCertificate('a');
  const now = Date.now();

  it('reads PEM text or PEM files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermesh-tls-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.caCertPem);
      writeFileSync(join(dir, 'a.pem'), a.certPem);
      writeFileSync(join(dir, 'a.key'), a.keyPem);
      const fromFiles = loadTlsMaterial({ ca: join(dir, 'ca.pem'), cert: join(dir, 'a.pem'), key: join(dir, 'a.key') }, 'a', now);
      const fromText = loadTlsMaterial({ ca: ca.caCertPem, cert: a.certPem, key: a.keyPem }, 'a', now);
      expect(fromFiles.certPem.toString()).toBe(fromText.certPem.toString());
      expect(() => loadTlsMaterial({ ca: join(dir, 'missing.pem'), cert: a.certPem, key: a.keyPem }, 'a', now)).toThrow(
        /tls\.ca: '.*missing\.pem' is neither PEM text nor a readable file \(ENOENT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a certificate naming another node', () => ({ ca: ca.caCertPem, cert: ca.issueNodeCertificate('b').certPem, key: a.keyPem }), /tls\.cert names node 'b', but this node is 'a'/],
    ['a key of another certificate', () => ({ ca: ca.caCertPem, cert: a.certPem, key: ca.issueNodeCertificate('a').keyPem }), /tls\.key does not belong to the certificate of node 'a'/],
    [
      'a certificate from another CA',
      () => {
        const rogue = createClusterCa({ name: 'rogue' }).issueNodeCertificate('a');
        return { ca: ca.caCertPem, cert: rogue.certPem, key: rogue.keyPem };
      },
      /\(issuer 'O=HyperMesh, CN=rogue'\) was not issued by the CA in tls\.ca/,
    ],
    ['a CA file without certificates', () => ({ ca: '-----BEGIN NOTHING-----', cert: a.certPem, key: a.keyPem }), /tls\.ca holds no PEM certificate/],
    ['a certificate without a node', () => ({ ca: ca.caCertPem, cert: ca.caCertPem, key: ca.caKeyPem }), /names no node/],
  ])('refuses %s with E_GRPC_TLS_CONFIG', (_what, sources, message) => {
    expect(() => loadTlsMaterial(sources(), 'a', now)).toThrow(expect.objectContaining({ code: 'E_GRPC_TLS_CONFIG', message: expect.stringMatching(message) }));
  });

  it('refuses a certificate outside its validity period', () => {
    const expired = ca.issueNodeCertificate('a', { notBefore: new Date(now - 10 * 86_400_000), validDays: 1 });
    expect(() => loadTlsMaterial({ ca: ca.caCertPem, cert: expired.certPem, key: expired.keyPem }, 'a', now)).toThrow(/is valid from .* to .*, not now/);
  });
});
