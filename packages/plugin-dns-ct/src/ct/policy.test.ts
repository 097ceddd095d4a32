import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHypermeshError, type SctVerdict } from '@hypermesh/runtime';
import { parseCertificate } from '../x509/certificate.js';
import { pemCertificates } from '../x509/pem.js';
import { logFromKey, parseLogList } from './log-list.js';
import { ctTrustScore, evaluateCtPolicy, requiredScts } from './policy.js';
import { verifyEmbeddedScts } from './verify-scts.js';

const text = (path: string) => readFileSync(new URL(`./testdata/${path}`, import.meta.url), 'utf8');
const logList = parseLogList(text('real/log_list_v3_2023-03-22.json'));
const digicert = logFromKey({ key: text('real/digicert-log-server-key-public.pem'), description: 'DigiCert Log Server', operator: 'DigiCert' });
const logs = [...logList.logs, digicert];

describe('parseLogList on Chrome log list v3', () => {
  it('reads every log of the 2023-03-22 snapshot with its operator, state and MMD', () => {
    expect(logList.version).toBe('20.16');
    expect(logList.timestamp).toBe(Date.parse('2023-03-22T12:54:01Z'));
    expect(logList.logs).toHaveLength(23);
    expect(logList.problems).toEqual([]);
    const pilot = logList.logs.find((l) => l.description === "Google 'Pilot' log")!;
    expect(pilot).toMatchObject({ operator: 'Google', mmd: 86_400, url: 'https://ct.googleapis.com/pilot/', kind: 'rfc6962', logId: 'pLkJkLQYWBSHuxOizGdwCjw1mAT5G9+443fNDsgN3BA=' });
    expect(pilot.state?.name).toBe('retired');
    const argon = logList.logs.find((l) => l.description === "Google 'Argon2024' log")!;
    expect(argon.temporalInterval).toEqual({ startInclusive: Date.parse('2024-01-01T00:00:00Z'), endExclusive: Date.parse('2025-01-01T00:00:00Z') });
    expect(new Set(logList.logs.map((l) => l.operator))).toEqual(new Set(['Google', 'Cloudflare', 'DigiCert', 'Sectigo', "Let's Encrypt", 'TrustAsia']));
  });

  it('skips a log whose id is not the hash of its key, and rejects what is not a log list', () => {
    const doc = JSON.parse(text('real/log_list_v3_2023-03-22.json')) as { operators: { logs: { log_id: string }[] }[] };
    doc.operators[0]!.logs[0]!.log_id = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    const list = parseLogList(doc);
    expect(list.logs).toHaveLength(22);
    expect(list.problems[0]).toMatch(/log_id is not the SHA-256 of its key/);
    for (const bad of ['{', '{"operators": 3}', '[]']) {
      let error: unknown;
      try {
        parseLogList(bad);
      } catch (err) {
        error = err;
      }
      expect(isHypermeshError(error, 'E_CT_LOG_LIST'), bad).toBe(true);
    }
  });
});

describe('CT policy on real certificates', () => {
  it('github.com (25 months, 3 valid SCTs from Google and DigiCert) complies with Chrome\'s policy', () => {
    const [leafDer, issuer] = pemCertificates(text('real/github-chain.pem'));
    const leaf = parseCertificate(leafDer!);
    const scts = verifyEmbeddedScts({ certificate: leaf, issuer: issuer!, logs });
    const result = evaluateCtPolicy({ notBefore: leaf.notBefore, notAfter: leaf.notAfter, scts, logs });
    expect(result).toMatchObject({ compliant: true, required: 3, counted: 3, distinctOperators: 2, trustScore: 1 });
  });

  it('babylonhealth.com (one SCT from a listed log) does not comply, and says why', () => {
    const [leafDer, issuer] = pemCertificates(text('real/babylonhealth-chain.pem'));
    const leaf = parseCertificate(leafDer!);
    const scts = verifyEmbeddedScts({ certificate: leaf, issuer: issuer!, logs: logList });
    const result = evaluateCtPolicy({ notBefore: leaf.notBefore, notAfter: leaf.notAfter, scts, logs: logList });
    expect(result).toMatchObject({ compliant: false, required: 3, counted: 1, distinctOperators: 1 });
    expect(result.problems).toEqual([
      expect.stringMatching(/SCT from log h3W\/51l8.* is invalid: unknown log/),
      '1 valid SCT from acceptable logs, the policy requires 3',
      'SCTs come from 1 log operator, the policy requires 2',
    ]);
    expect(result.trustScore).toBeCloseTo(0.7 / 3 + 0.15, 3);
  });

  it('does not count SCTs issued after a log was retired, or from pending logs', () => {
    const pilot = logList.logs.find((l) => l.description === "Google 'Pilot' log")!;
    const sct = (timestamp: number): SctVerdict => ({ logId: pilot.logId, logName: pilot.description, operator: 'Google', timestamp, origin: 'embedded', valid: true });
    const before = evaluateCtPolicy({ notBefore: new Date(0), notAfter: new Date(86_400_000), scts: [sct(pilot.state!.since - 1)], logs: logList, policy: { mode: 'fixed', minScts: 1, minOperators: 1 } });
    expect(before.compliant).toBe(true);
    const after = evaluateCtPolicy({ notBefore: new Date(0), notAfter: new Date(86_400_000), scts: [sct(pilot.state!.since + 1)], logs: logList, policy: { mode: 'fixed', minScts: 1, minOperators: 1 } });
    expect(after.compliant).toBe(false);
    expect(after.problems[0]).toMatch(/was retired at/);
  });

  it('requires 2 SCTs up to 180 days and 3 above (Chrome), 2 for TLS-delivered SCTs', () => {
    const start = new Date(Date.UTC(2026, 0, 1));
    const days = (n: number) => new Date(start.getTime() + n * 86_400_000);
    expect(requiredScts(start, days(90))).toBe(2);
    expect(requiredScts(start, days(180))).toBe(2);
    expect(requiredScts(start, days(181))).toBe(3);
    expect(requiredScts(start, days(398), undefined, false)).toBe(2);
    expect(requiredScts(start, days(398), { mode: 'fixed', minScts: 4 })).toBe(4);
  });

  it('lowers the trust score for SCTs whose signature fails', () => {
    expect(ctTrustScore({ counted: 2, required: 2, distinctOperators: 2, minOperators: 2, badSignatures: 0 })).toBe(1);
    expect(ctTrustScore({ counted: 2, required: 2, distinctOperators: 2, minOperators: 2, badSignatures: 1 })).toBe(0.8);
    expect(ctTrustScore({ counted: 0, required: 2, distinctOperators: 0, minOperators: 2, badSignatures: 3 })).toBe(0);
  });
});
