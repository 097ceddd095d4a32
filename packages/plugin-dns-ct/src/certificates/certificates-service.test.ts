import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulatedClock, isHypermeshError } from '@hypermesh/runtime';
import { logFromKey, parseLogList } from '../ct/log-list.js';
import { CtLogClient } from '../ct/log-client.js';
import { startCtLogServer, type CtLogServer } from '../ct/log-server/log-server.js';
import { encodeSct } from '../ct/sct.js';
import { makeCa, makeLeaf } from '../ct/testing.js';
import { pemCertificates } from '../x509/pem.js';
import { createCertificatesService } from './certificates-service.js';

const text = (path: string) => readFileSync(new URL(`../ct/testdata/${path}`, import.meta.url), 'utf8');
const logs = [
  ...parseLogList(text('real/log_list_v3_2023-03-22.json')).logs,
  logFromKey({ key: text('real/digicert-log-server-key-public.pem'), description: 'DigiCert Log Server', operator: 'DigiCert' }),
];
const github = pemCertificates(text('real/github-chain.pem'));
const babylon = pemCertificates(text('real/babylonhealth-chain.pem'));
const servers: CtLogServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('certificates service on real certificates (Mozilla roots from node:tls)', () => {
  const service = createCertificatesService({ logs, clock: createSimulatedClock(Date.UTC(2019, 0, 1)) });

  it('gives github.com in January 2019 a valid verdict: path, host name and CT policy', async () => {
    const verdict = await service.verify({ certificate: github[0]!, chain: [github[1]!], hostname: 'www.github.com' });
    expect(verdict.reasons).toEqual([]);
    expect(verdict).toMatchObject({
      valid: true,
      trustScore: 1,
      subjectAltNames: ['github.com', 'www.github.com'],
      path: { valid: true, problems: [] },
      hostname: { name: 'www.github.com', matches: true },
      ct: { compliant: true, required: 3, distinctOperators: 2 },
    });
    expect(verdict.ct.scts.map((s) => s.valid)).toEqual([true, true, true]);
    expect(verdict.serialNumber).toBe('0a0630427f5bbced6957396593b6451f');
    expect(verdict.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports an expired certificate, a wrong host name and a missing issuer', async () => {
    const expired = await service.verify({ certificate: github[0]!, chain: [github[1]!], at: new Date(Date.UTC(2021, 0, 1)) });
    expect(expired.valid).toBe(false);
    expect(expired.reasons[0]).toMatch(/CN=github.com.* expired at 2020-06-03/);
    const wrongHost = await service.verify({ certificate: github[0]!, chain: [github[1]!], hostname: 'gitlab.com' });
    expect(wrongHost).toMatchObject({ valid: false, trustScore: 0.9, hostname: { matches: false } });
    const noIssuer = await service.verify({ certificate: github[0]! });
    expect(noIssuer.path.valid).toBe(false);
    expect(noIssuer.ct.problems[0]).toMatch(/cannot be checked without the issuer/);
  });

  it('fails babylonhealth.com on the CT policy only, unless CT is not required', async () => {
    const chain = babylon.slice(1);
    const verdict = await service.verify({ certificate: babylon[0]!, chain, hostname: 'babylonhealth.com', at: new Date(Date.UTC(2018, 11, 1)) });
    expect(verdict.path).toEqual({ valid: true, problems: [] });
    expect(verdict.valid).toBe(false);
    expect(verdict.reasons).toEqual(['1 valid SCT from acceptable logs, the policy requires 3', 'SCTs come from 1 log operator, the policy requires 2']);
    const lenient = createCertificatesService({ logs, requireCt: false, clock: createSimulatedClock(Date.UTC(2018, 11, 1)) });
    expect((await lenient.verify({ certificate: babylon[0]!, chain })).valid).toBe(true);
  });

  it('rejects input that is not a certificate with E_CERT_PARSE', async () => {
    await expect(service.verify({ certificate: 'not a certificate' })).rejects.toSatisfy((err) => isHypermeshError(err, 'E_CERT_PARSE'));
  });
});

describe("certificates service with the cluster's own CA and CT logs", () => {
  it('counts embedded and TLS-delivered SCTs from two operators', async () => {
    const now = Date.UTC(2026, 3, 1);
    const clock = createSimulatedClock(now);
    const ca = makeCa('Cluster CA', now);
    const logA = await startCtLogServer({ clock, operator: 'Operator A', description: 'log A' });
    const logB = await startCtLogServer({ clock, operator: 'Operator B', description: 'log B' });
    servers.push(logA, logB);
    const leaf = makeLeaf(ca, ['svc.cluster.test'], now);
    const sctA = await new CtLogClient({ url: logA.url }).addChain([leaf, ca.der]);
    const sctB = await new CtLogClient({ url: logB.url }).addChain([leaf, ca.der]);

    const service = createCertificatesService({ logs: [logA.log, logB.log], trustAnchors: [ca.der], clock });
    const one = await service.verify({ certificate: leaf, chain: [ca.der], hostname: 'svc.cluster.test', scts: [encodeSct(sctA)] });
    expect(one).toMatchObject({ valid: false, ct: { compliant: false, required: 2, distinctOperators: 1 } });
    const both = await service.verify({ certificate: leaf, chain: [ca.der], hostname: 'svc.cluster.test', scts: [encodeSct(sctA), encodeSct(sctB)] });
    expect(both).toMatchObject({ valid: true, trustScore: 1, ct: { compliant: true, distinctOperators: 2 } });
    expect(both.ct.scts.map((s) => s.origin)).toEqual(['tls-extension', 'tls-extension']);
  });
});
