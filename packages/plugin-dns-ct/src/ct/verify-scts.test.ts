import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHypermeshError } from '@hypermesh/runtime';
import { parseCertificate } from '../x509/certificate.js';
import { Tag, encodeElement } from '../x509/der.js';
import { pemCertificates } from '../x509/pem.js';
import { logFromKey, parseLogList, type CtLog } from './log-list.js';
import { verifyEmbeddedScts, verifySct } from './verify-scts.js';

const testdata = (path: string) => readFileSync(new URL(`./testdata/${path}`, import.meta.url));
const text = (path: string) => testdata(path).toString('utf8');

// The C++ reference implementation's test log and CA (see testdata/README.md).
const testLog = logFromKey({ key: text('cpp-ct/ct-server-key-public.pem'), description: 'CT test log', operator: 'test' });
const rsaLog = logFromKey({ key: text('cpp-ct/rsa/ct-server-key-public-rsa.pem'), description: 'CT RSA test log', operator: 'test' });
const caCert = text('cpp-ct/ca-cert.pem');

// Real certificates and Chrome's log list (2023-03-22), plus DigiCert's retired log key.
const logList = parseLogList(text('real/log_list_v3_2023-03-22.json'));
const digicertLog = logFromKey({ key: text('real/digicert-log-server-key-public.pem'), description: 'DigiCert Log Server', operator: 'DigiCert' });
const realLogs: CtLog[] = [...logList.logs, digicertLog];
const [githubLeaf, githubIssuer] = pemCertificates(text('real/github-chain.pem'));
const [babylonLeaf, babylonIssuer] = pemCertificates(text('real/babylonhealth-chain.pem'));

/** Flips one bit of the byte at `offset` in a copy. */
function flip(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset]! ^= 0x01;
  return copy;
}

describe('verifyEmbeddedScts on real certificates', () => {
  it("verifies github.com's three embedded SCTs (Google Pilot, DigiCert, Google Skydiver)", () => {
    const verdicts = verifyEmbeddedScts({ certificate: githubLeaf!, issuer: githubIssuer!, logs: realLogs });
    expect(verdicts.map((v) => [v.logName, v.valid])).toEqual([
      ["Google 'Pilot' log", true],
      ['DigiCert Log Server', true],
      ["Google 'Skydiver' log", true],
    ]);
    expect(verdicts[0]).toMatchObject({ logId: 'pLkJkLQYWBSHuxOizGdwCjw1mAT5G9+443fNDsgN3BA=', timestamp: 1525810359562, origin: 'embedded', operator: 'Google' });
  });

  it('reports an SCT from a log missing from the list as invalid, naming the log id', () => {
    const verdicts = verifyEmbeddedScts({ certificate: babylonLeaf!, issuer: babylonIssuer!, logs: logList });
    expect(verdicts[0]).toMatchObject({ logName: "Google 'Skydiver' log", valid: true });
    expect(verdicts[1]).toMatchObject({ valid: false, logId: 'h3W/51l8+IxDmV+9827/Vo1HVjb/SrVgwbTq/16ggw8=' });
    expect(verdicts[1]!.reason).toMatch(/unknown log h3W\/51l8/);
  });

  it('accepts PEM text as well as DER', () => {
    const pem = text('real/github-chain.pem');
    const [leafPem, issuerPem] = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
    const verdicts = verifyEmbeddedScts({ certificate: leafPem!, issuer: issuerPem!, logs: realLogs });
    expect(verdicts.every((v) => v.valid)).toBe(true);
  });

  it('fails every SCT when a byte of the TBSCertificate changes', () => {
    const leaf = parseCertificate(githubLeaf!);
    // A byte inside the subject's organisation name: still a well-formed certificate.
    const offset = Buffer.from(leaf.der).indexOf(Buffer.from('GitHub, Inc.'));
    expect(offset).toBeGreaterThan(0);
    const verdicts = verifyEmbeddedScts({ certificate: flip(leaf.der, offset), issuer: githubIssuer!, logs: realLogs });
    expect(verdicts).toHaveLength(3);
    for (const v of verdicts) {
      expect(v.valid).toBe(false);
      expect(v.reason).toMatch(/bad signature.*precertificate entry rebuilt/);
    }
  });

  it('fails with a wrong issuer and says the issuer does not match', () => {
    const verdicts = verifyEmbeddedScts({ certificate: githubLeaf!, issuer: babylonIssuer!, logs: realLogs });
    for (const v of verdicts) {
      expect(v.valid).toBe(false);
      expect(v.reason).toMatch(/is not the certificate's issuer/);
    }
  });

  it('fails when the log list holds another key under the log id', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const impostor = { ...logFromKey({ key: publicKey, description: 'impostor', operator: 'Google' }), logId: 'pLkJkLQYWBSHuxOizGdwCjw1mAT5G9+443fNDsgN3BA=' };
    const [pilot] = verifyEmbeddedScts({ certificate: githubLeaf!, issuer: githubIssuer!, logs: [impostor] });
    expect(pilot).toMatchObject({ valid: false, logName: 'impostor' });
    expect(pilot!.reason).toMatch(/bad signature/);
  });

  it('flags SCTs whose timestamp is after "now"', () => {
    const [first] = verifyEmbeddedScts({ certificate: githubLeaf!, issuer: githubIssuer!, logs: realLogs, now: Date.UTC(2018, 0, 1) });
    expect(first).toMatchObject({ valid: false });
    expect(first!.reason).toMatch(/in the future/);
  });

  it('returns no verdicts for a certificate without SCTs, and E_CERT_PARSE for garbage', () => {
    expect(verifyEmbeddedScts({ certificate: githubIssuer!, issuer: githubIssuer!, logs: realLogs })).toEqual([]);
    let error: unknown;
    try {
      verifyEmbeddedScts({ certificate: Uint8Array.of(0x30, 0x03, 0x02, 0x01), issuer: githubIssuer!, logs: realLogs });
    } catch (err) {
      error = err;
    }
    expect(isHypermeshError(error, 'E_CERT_PARSE')).toBe(true);
  });
});

describe('verifyEmbeddedScts on the RFC 6962 reference test vectors', () => {
  it('verifies a certificate issued directly by the CA', () => {
    const [v] = verifyEmbeddedScts({ certificate: text('cpp-ct/test-embedded-cert.pem'), issuer: caCert, logs: [testLog] });
    expect(v).toMatchObject({ valid: true, timestamp: 1365181456275 });
  });

  it('verifies certificates whose precertificate was signed by a precertificate signing certificate', () => {
    const [direct] = verifyEmbeddedScts({ certificate: text('cpp-ct/test-embedded-with-preca-cert.pem'), issuer: caCert, logs: [testLog] });
    const intermediate = text('cpp-ct/intermediate-cert.pem');
    const [viaIntermediate] = verifyEmbeddedScts({ certificate: text('cpp-ct/test-embedded-with-intermediate-cert.pem'), issuer: intermediate, logs: [testLog] });
    const [viaIntermediatePreca] = verifyEmbeddedScts({ certificate: text('cpp-ct/test-embedded-with-intermediate-preca-cert.pem'), issuer: intermediate, logs: [testLog] });
    expect([direct!.valid, viaIntermediate!.valid, viaIntermediatePreca!.valid]).toEqual([true, true, true]);
  });

  it('rejects the reference "invalid embedded SCT" certificate', () => {
    const [v] = verifyEmbeddedScts({ certificate: text('cpp-ct/test-invalid-embedded-cert.pem'), issuer: caCert, logs: [testLog] });
    expect(v).toMatchObject({ valid: false });
    expect(v!.reason).toMatch(/bad signature/);
  });

  it('reports a malformed SCT list instead of throwing', () => {
    const leaf = parseCertificate(text('cpp-ct/test-embedded-cert.pem'));
    const ext = leaf.extensions.find((e) => e.oid === '1.3.6.1.4.1.11129.2.4.2')!;
    // An SCT list that announces 16 bytes and holds one.
    const inner = encodeElement(Tag.OctetString, [Uint8Array.of(0x00, 0x10, 0x00)]);
    const verdicts = verifyEmbeddedScts({
      certificate: { ...leaf, extensions: leaf.extensions.map((e) => (e === ext ? { ...e, value: inner } : e)) },
      issuer: caCert,
      logs: [testLog],
    });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ valid: false });
    expect(verdicts[0]!.reason).toMatch(/SCT list extension is malformed/);
  });
});

describe('verifySct (TLS extension and .proof SCTs)', () => {
  it('verifies x509_entry SCTs with ECDSA and RSA log keys', () => {
    const cert = text('cpp-ct/test-cert.pem');
    expect(verifySct({ sct: testdata('cpp-ct/test-cert.proof'), certificate: cert, logs: [testLog] })).toMatchObject({ valid: true, origin: 'tls-extension' });
    expect(verifySct({ sct: testdata('cpp-ct/rsa/test-cert-rsa.proof'), certificate: cert, logs: [rsaLog] })).toMatchObject({ valid: true, logName: 'CT RSA test log' });
  });

  it('verifies precert_entry SCTs for a precertificate and its issuer, ECDSA and RSA', () => {
    const precert = text('cpp-ct/test-embedded-pre-cert.pem');
    expect(verifySct({ sct: testdata('cpp-ct/test-embedded-pre-cert.proof'), certificate: precert, issuer: caCert, logs: [testLog] }).valid).toBe(true);
    expect(verifySct({ sct: testdata('cpp-ct/rsa/test-embedded-pre-cert-rsa.proof'), certificate: precert, issuer: caCert, logs: [rsaLog] }).valid).toBe(true);
  });

  it('rejects an SCT whose signature bytes were changed, or that is given for another certificate', () => {
    const proof = new Uint8Array(testdata('cpp-ct/test-cert.proof'));
    const tampered = flip(proof, proof.length - 5);
    expect(verifySct({ sct: tampered, certificate: text('cpp-ct/test-cert.pem'), logs: [testLog] }).valid).toBe(false);
    expect(verifySct({ sct: proof, certificate: text('cpp-ct/test-embedded-cert.pem'), logs: [testLog] }).valid).toBe(false);
    const truncated = verifySct({ sct: proof.subarray(0, 40), certificate: text('cpp-ct/test-cert.pem'), logs: [testLog] });
    expect(truncated.reason).toMatch(/malformed SCT/);
  });

  it('rejects an SCT checked with the wrong algorithm key', () => {
    const v = verifySct({ sct: testdata('cpp-ct/rsa/test-cert-rsa.proof'), certificate: text('cpp-ct/test-cert.pem'), logs: [{ ...testLog, logId: rsaLog.logId }] });
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/signature algorithm 1 does not match the log's ec key/);
  });
});
