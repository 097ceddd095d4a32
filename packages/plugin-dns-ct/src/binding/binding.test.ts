import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { resolverRef } from '@hypermesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsCtConfigInput } from '../config.js';
import { kdig, tempDir, testPki, type TestPki } from '../testing/peers.js';
import { useCleanup } from '../testing/cleanup.js';
import type { DnsTestNode } from '../testing/node.js';

// Names bound to certificates, end to end: a real TLS service, certificates from a test CA (made
// by openssl), the package's own certificates service (X.509 path, host name, CT policy).
describe('names bound to certificates', () => {
  let dir: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let service: tls.Server;
  let port: number;
  let leafPem: string;
  const { defer, node: start } = useCleanup();

  beforeAll(async () => {
    dir = tempDir('binding');
    pki = await testPki(dir.path);
    const leaf = await pki.issue(['api.svc.hypermesh.local'], 'api');
    leafPem = leaf.cert;
    service = tls.createServer({ cert: `${leaf.cert}${pki.caCert}`, key: leaf.key }, (socket) => socket.end());
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    port = (service.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => service?.close(resolve));
    dir?.dispose();
  });

  async function node(policy: 'enforce' | 'report', requireCt: boolean, extraRecords: unknown[] = []): Promise<DnsTestNode> {
    const config: DnsCtConfigInput = {
      ct_policy: policy,
      ct: { trust_anchors: [pki.caCert], require_ct: requireCt },
      certificate_binding: { port },
      zone: { records: [{ name: 'api.svc', type: 'A', data: '127.0.0.1', tls: true }, { name: 'plain.svc', type: 'A', data: '127.0.0.1' }, ...(extraRecords as never[])] },
    };
    return start(config);
  }

  it('passes an answer whose service certificate validates, with the verdict attached', async () => {
    const n = await node('enforce', false);
    const r = await n.node.get(resolverRef).resolve({ name: 'api.svc.hypermesh.local', type: 'A' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.certificate).toMatchObject({ valid: true, subject: expect.stringContaining('api.svc.hypermesh.local'), hostname: { matches: true } });
    expect(r.certificate!.fingerprintSha256).toBe(new X509Certificate(leafPem).fingerprint256.replaceAll(':', '').toLowerCase());
    // names that are not bound are not checked
    expect((await n.node.get(resolverRef).resolve({ name: 'plain.svc.hypermesh.local', type: 'A' })).certificate).toBeUndefined();
  });

  it('enforce: SERVFAIL with an Extended DNS Error when the certificate fails the CT policy', async () => {
    const n = await node('enforce', true);
    const r = await kdig(['@127.0.0.1', '-p', String(n.addresses.udp.port), '+edns', 'api.svc.hypermesh.local', 'A']);
    expect(r.status).toBe('SERVFAIL');
    expect(r.answers).toHaveLength(0);
    expect(r.ede.join()).toMatch(/^0 \(Other\).*certificate of api\.svc\.hypermesh\.local/);
    expect(await n.node.metrics.metrics()).toMatch(/hypermesh_dns_certificate_checks_total\{outcome="blocked",node="node-1"\} 1/);
  });

  it('report: answers and flags the failure', async () => {
    const n = await node('report', true);
    const r = await n.node.get(resolverRef).resolve({ name: 'api.svc.hypermesh.local', type: 'A' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers[0]!.data).toBe('127.0.0.1');
    expect(r.certificate).toMatchObject({ valid: false, path: { valid: true }, ct: { compliant: false } });
    expect(r.extendedErrors[0]!.extraText).toMatch(/^reported, not enforced: certificate of api\.svc/);
  });

  it('checks TLSA records of the bound port (DANE-EE SPKI SHA-256) as well', async () => {
    const spki = new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'der' });
    const good = createHash('sha256').update(spki).digest('hex');
    const tlsa = (hex: string) => ({ name: `_${port}._tcp.api.svc`, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: hex } });
    const ok = await node('enforce', false, [tlsa(good)]);
    expect((await ok.node.get(resolverRef).resolve({ name: 'api.svc.hypermesh.local', type: 'A' })).rcode).toBe('NOERROR');
    await ok.stop();
    const bad = await node('enforce', false, [tlsa('00'.repeat(32))]);
    const r = await bad.node.get(resolverRef).resolve({ name: 'api.svc.hypermesh.local', type: 'A' });
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.extendedErrors[0]!.extraText).toMatch(/no TLSA record of _\d+\._tcp\.api\.svc\.hypermesh\.local matches/);
  });

  it('fails a name whose service is unreachable or presents a certificate for another name', async () => {
    const other = await pki.issue(['other.example'], 'other');
    const wrong = tls.createServer({ cert: `${other.cert}${pki.caCert}`, key: other.key }, (s) => s.end());
    await new Promise<void>((resolve) => wrong.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => wrong.close(resolve)));
    const n = await start({
      ct_policy: 'enforce',
      ct: { trust_anchors: [pki.caCert], require_ct: false },
      certificate_binding: { port: (wrong.address() as { port: number }).port, timeout: 500 },
      zone: { records: [{ name: 'api.svc', type: 'A', data: '127.0.0.1', tls: true }, { name: 'down.svc', type: 'A', data: '127.0.0.2', tls: true }] },
    });
    const resolver = n.node.get(resolverRef);
    const mismatch = await resolver.resolve({ name: 'api.svc.hypermesh.local', type: 'A' });
    expect(mismatch.rcode).toBe('SERVFAIL');
    expect(mismatch.extendedErrors[0]!.extraText).toMatch(/not valid for 'api\.svc\.hypermesh\.local'/);
    const down = await resolver.resolve({ name: 'down.svc.hypermesh.local', type: 'A' });
    expect(down.extendedErrors[0]!.extraText).toMatch(/no TLS handshake/);
  });
});
