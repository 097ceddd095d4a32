import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCertificate, type CertificateTemplate } from './build-certificate.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { DerError, readRoot } from './der.js';
import { matchesHostname, matchesName } from './hostname.js';
import { Oid } from './oids.js';
import { validatePath } from './path.js';
import { pemCertificates } from './pem.js';
import { tbsWithoutExtensions } from './tbs.js';

const testdata = (path: string) => readFileSync(new URL(`../ct/testdata/${path}`, import.meta.url), 'utf8');
const realChains = ['real/github-chain.pem', 'real/babylonhealth-chain.pem'].flatMap((f) => pemCertificates(testdata(f)));

describe('DER reader and certificate parser', () => {
  it('reads real certificates the same way as OpenSSL (node:crypto X509Certificate)', () => {
    expect(realChains.length).toBe(6);
    for (const der of realChains) {
      const ours = parseCertificate(der);
      const theirs = new X509Certificate(Buffer.from(der));
      expect(ours.serialNumber.toUpperCase().replace(/^0+(?=.)/, '')).toBe(theirs.serialNumber.replace(/^0+(?=.)/, ''));
      expect(ours.notBefore.getTime()).toBe(new Date(theirs.validFrom).getTime());
      expect(ours.notAfter.getTime()).toBe(new Date(theirs.validTo).getTime());
      expect(ours.fingerprintSha256).toBe(theirs.fingerprint256.replace(/:/g, '').toLowerCase());
      expect(ours.commonNames).toEqual(theirs.subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3)));
      const sans = theirs.subjectAltName?.split(', ').map((s) => s.replace(/^DNS:/, '')) ?? [];
      expect(ours.subjectAltNames).toEqual(sans);
      expect(ours.basicConstraints?.ca ?? false).toBe(theirs.ca);
    }
  });

  it('reads extensions: github.com is a serverAuth leaf, its issuer a CA with pathLen 0 and keyCertSign', () => {
    const [leaf, issuer] = pemCertificates(testdata('real/github-chain.pem')).map((d) => parseCertificate(d));
    expect(leaf!.subject).toContain('CN=github.com');
    expect(leaf!.subject).toContain('O=GitHub\\, Inc.');
    expect(leaf!.extKeyUsage).toContain(Oid.serverAuth);
    expect([...leaf!.keyUsage!]).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(issuer!.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(issuer!.keyUsage!.has('keyCertSign')).toBe(true);
  });

  it('rejects malformed DER with a reason instead of reading past the end', () => {
    expect(() => readRoot(Uint8Array.of(0x30, 0x80, 0x00, 0x00))).toThrow(/indefinite length/);
    expect(() => readRoot(Uint8Array.of(0x30, 0x05, 0x02, 0x01))).toThrow(/runs past/);
    expect(() => readRoot(Uint8Array.of(0x30, 0x81, 0x03, 0x02, 0x01, 0x00))).toThrow(/non-minimal length/);
    expect(() => readRoot(Uint8Array.of(0x02, 0x01, 0x00, 0xff))).toThrow(/trailing/);
    expect(() => parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow(DerError);
    expect(() => parseCertificate('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----')).toThrow(DerError);
  });

  it('rebuilds the precertificate TBS from the final certificate byte for byte (RFC 6962 §3.2)', () => {
    const final = parseCertificate(testdata('cpp-ct/test-embedded-cert.pem'));
    const precert = parseCertificate(testdata('cpp-ct/test-embedded-pre-cert.pem'));
    const fromFinal = tbsWithoutExtensions(final, [Oid.ctSctList]);
    const fromPrecert = tbsWithoutExtensions(precert, [Oid.ctPoison]);
    expect(Buffer.from(fromFinal).equals(Buffer.from(fromPrecert))).toBe(true);
    expect(fromFinal.length).toBeLessThan(final.tbs.end - final.tbs.start);
  });
});

describe('host name matching (RFC 6125)', () => {
  const cert = { subjectAltNames: ['example.com', '*.api.example.com', '192.0.2.7', 'xn--bcher-kva.example'] };
  it.each([
    ['example.com', true],
    ['EXAMPLE.com.', true],
    ['www.example.com', false],
    ['v1.api.example.com', true],
    ['api.example.com', false],
    ['a.v1.api.example.com', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['xn--bcher-kva.example', true],
  ])('%s → %s', (host, expected) => {
    expect(matchesHostname(cert, host)).toBe(expected);
  });
  it('never lets a wildcard cover a top-level domain', () => {
    expect(matchesName('*.com', 'example.com')).toBe(false);
  });
});

describe('path validation', () => {
  const NOW = Date.UTC(2026, 5, 1);
  const DAY = 86_400_000;
  const key = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const root = key();
  const inter = key();
  const inter2 = key();
  const leafKey = key();
  const rootName = { CN: 'Test Root' };
  const interName = { CN: 'Test Intermediate' };
  const inter2Name = { CN: 'Test Intermediate 2' };
  const base = { notBefore: new Date(NOW - DAY), notAfter: new Date(NOW + 365 * DAY) };
  const rootCert = parseCertificate(buildCertificate({ ...base, subject: rootName, publicKey: root.publicKey, signingKey: root.privateKey, ca: true, keyUsage: ['keyCertSign'] }));
  const intermediate = (over: Partial<CertificateTemplate> = {}) =>
    parseCertificate(buildCertificate({ ...base, subject: interName, publicKey: inter.publicKey, issuer: { subject: rootName, privateKey: root.privateKey }, ca: true, keyUsage: ['keyCertSign'], ...over }));
  const leaf = (over: Partial<CertificateTemplate> = {}, issuer = { subject: interName, privateKey: inter.privateKey }) =>
    parseCertificate(
      buildCertificate({ ...base, subject: { CN: 'svc.test' }, publicKey: leafKey.publicKey, issuer, subjectAltNames: ['svc.test'], keyUsage: ['digitalSignature'], extKeyUsage: [Oid.serverAuth], ...over }),
    );
  const check = (l: Certificate, intermediates: Certificate[], at = NOW) => validatePath({ leaf: l, intermediates, anchors: [rootCert], at: new Date(at) });

  it('accepts leaf → intermediate → root', () => {
    const result = check(leaf(), [intermediate()]);
    expect(result).toMatchObject({ valid: true, problems: [] });
    expect(result.chain.map((c) => c.subject)).toEqual(['CN=svc.test', 'CN=Test Intermediate', 'CN=Test Root']);
  });

  it('reports a missing intermediate, an unknown root and a bad signature', () => {
    expect(check(leaf(), []).problems[0]).toMatch(/no trusted issuer found for 'CN=svc.test'/);
    const other = key();
    const forged = leaf({}, { subject: interName, privateKey: other.privateKey });
    expect(check(forged, [intermediate()]).valid).toBe(false);
  });

  it('reports expiry and not-yet-valid certificates', () => {
    expect(check(leaf(), [intermediate()], NOW + 400 * DAY).problems).toEqual(expect.arrayContaining([expect.stringMatching(/'CN=svc.test' expired/), expect.stringMatching(/'CN=Test Intermediate' expired/)]));
    expect(check(leaf({ notBefore: new Date(NOW + DAY) }), [intermediate()]).problems).toEqual([expect.stringMatching(/not valid before/)]);
  });

  it('enforces basicConstraints, keyUsage, pathLenConstraint and serverAuth', () => {
    expect(check(leaf(), [intermediate({ ca: false })]).problems).toEqual([expect.stringMatching(/basicConstraints does not say cA/)]);
    expect(check(leaf(), [intermediate({ keyUsage: ['digitalSignature'] })]).problems).toEqual([expect.stringMatching(/does not allow keyCertSign/)]);
    expect(check(leaf({ extKeyUsage: ['1.3.6.1.5.5.7.3.2'] }), [intermediate()]).problems).toEqual([expect.stringMatching(/does not include serverAuth/)]);
    expect(check(leaf({ keyUsage: ['cRLSign'] }), [intermediate()]).problems).toEqual([expect.stringMatching(/neither digitalSignature nor keyEncipherment/)]);
    const second = parseCertificate(
      buildCertificate({ ...base, subject: inter2Name, publicKey: inter2.publicKey, issuer: { subject: interName, privateKey: inter.privateKey }, ca: true, keyUsage: ['keyCertSign'] }),
    );
    const deep = leaf({}, { subject: inter2Name, privateKey: inter2.privateKey });
    expect(check(deep, [second, intermediate()]).valid).toBe(true);
    expect(check(deep, [second, intermediate({ ca: { pathLength: 0 } })]).problems).toEqual([expect.stringMatching(/pathLenConstraint 0 is exceeded by 1/)]);
  });

  it('refuses a precertificate as a certificate', () => {
    expect(check(leaf({ poison: true }), [intermediate()]).problems).toEqual([expect.stringMatching(/is a precertificate/)]);
  });

  it('checks SHA-1 signatures through OpenSSL but refuses to trust them', () => {
    const ca = parseCertificate(testdata('cpp-ct/ca-cert.pem'));
    const cert = parseCertificate(testdata('cpp-ct/test-cert.pem'));
    expect(cert.signatureAlgorithm).toBe('1.2.840.113549.1.1.5');
    const result = validatePath({ leaf: cert, intermediates: [], anchors: [ca], at: new Date(Date.UTC(2015, 0, 1)) });
    expect(result.chain).toHaveLength(2); // the signature itself verified
    expect(result.problems).toEqual([expect.stringMatching(/is signed with SHA-1/)]);
  });

  it('rejects a certificate whose outer and inner signature algorithms differ', () => {
    const der = Buffer.from(leaf().der);
    // The outer AlgorithmIdentifier follows the TBS: change its last OID byte (ecdsa-with-SHA256 → SHA384).
    const outer = der.lastIndexOf(Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
    der[outer + 9] = 0x03;
    expect(() => parseCertificate(new Uint8Array(der))).toThrow(/differs from the signature field/);
  });
});
