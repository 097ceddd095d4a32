import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeIdOfCertificate, nodeIdsOfCertificate } from '../identity/node-identity.js';
import { createClusterCa, loadClusterCa } from './cluster-ca.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('cluster CA', () => {
  const ca = createClusterCa({ name: 'test CA' });

  it('issues node certificates that chain to the CA and name the node', () => {
    const node = ca.issueNodeCertificate('replica-1', { hosts: ['127.0.0.1', '::1', 'node1.example'] });
    const caCert = new X509Certificate(ca.caCertPem);
    const cert = new X509Certificate(node.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('URI:hypermesh://node/replica-1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:node1.example');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('node1.example')).toBe('node1.example');
    expect(nodeIdOfCertificate(cert)).toEqual({ nodeId: 'replica-1' });
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
  });

  it('writes certificates OpenSSL accepts for TLS clients and servers', (ctx) => {
    if (!hasOpenssl()) {
      ctx.skip('openssl is not installed; the TLS tests still exercise the certificates');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'hypermesh-ca-'));
    try {
      const node = ca.issueNodeCertificate('b');
      writeFileSync(join(dir, 'ca.pem'), ca.caCertPem);
      writeFileSync(join(dir, 'node.pem'), node.certPem);
      for (const purpose of ['sslclient', 'sslserver']) {
        const out = execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', join(dir, 'ca.pem'), join(dir, 'node.pem')], { encoding: 'utf8' });
        expect(out.trim()).toMatch(/: OK$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every certificate its own key and serial number', () => {
    const a = new X509Certificate(ca.issueNodeCertificate('a').certPem);
    const b = new X509Certificate(ca.issueNodeCertificate('a').certPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.publicKey.export({ format: 'der', type: 'spki' })).not.toEqual(b.publicKey.export({ format: 'der', type: 'spki' }));
  });

  it('honours validity options', () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const cert = new X509Certificate(ca.issueNodeCertificate('a', { notBefore, validDays: 2 }).certPem);
    expect(Date.parse(cert.validFrom)).toBe(notBefore.getTime());
    expect(Date.parse(cert.validTo)).toBe(notBefore.getTime() + 2 * 86_400_000);
    // GeneralizedTime after 2049 (RFC 5280 §4.1.2.5)
    const late = new X509Certificate(ca.issueNodeCertificate('a', { notBefore: new Date('2060-06-01T00:00:00Z') }).certPem);
    expect(new Date(late.validFrom).getUTCFullYear()).toBe(2060);
  });

  it('refuses node ids and hosts it cannot write', () => {
    expect(() => ca.issueNodeCertificate('bad id')).toThrow(/not a valid node id/);
    expect(() => ca.issueNodeCertificate('a/b')).toThrow(expect.objectContaining({ code: 'E_GRPC_CERTIFICATE_INVALID' }));
    expect(() => ca.issueNodeCertificate('a', { hosts: ['not a host'] })).toThrow(/neither an IP address nor a DNS name/);
    expect(() => ca.issueNodeCertificate('a', { validDays: 0 })).toThrow(/validDays/);
  });

  it('reloads a CA from its PEM files and keeps issuing under it', () => {
    const again = loadClusterCa({ caCertPem: ca.caCertPem, caKeyPem: ca.caKeyPem });
    const cert = new X509Certificate(again.issueNodeCertificate('c').certPem);
    expect(cert.verify(new X509Certificate(ca.caCertPem).publicKey)).toBe(true);
    const other = createClusterCa();
    expect(() => loadClusterCa({ caCertPem: ca.caCertPem, caKeyPem: other.caKeyPem })).toThrow(/does not belong/);
    expect(() => loadClusterCa({ caCertPem: 'nope', caKeyPem: 'nope' })).toThrow(/not valid PEM/);
  });

  it('reads node ids only from hypermesh node URIs', () => {
    expect(nodeIdsOfCertificate(ca.caCertPem)).toEqual([]);
    expect(nodeIdOfCertificate(ca.caCertPem)).toEqual({ problem: expect.stringMatching(/names no node/) });
  });
});
