import { readFile } from 'node:fs/promises';
import { createNode, type HypermeshNode } from '@hypermesh/runtime';
import { dnsCtPlugin } from '@hypermesh/plugin-dns-ct';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeIntrospection, gatewayPlugin, gatewayRef, nodeIntrospectionRef } from '../index.js';
import { createDefaultLogger } from '@hypermesh/runtime';

// The gateway in front of the real @hypermesh/plugin-dns-ct: the service-discovery zone, lookups
// through its resolver chain, and X.509 + CT verification of a real certificate with real SCTs.

const KEY = 'operator-key-0123456789abcdef';
// Public keys of the logs that signed github.com's 2018 SCTs (see testdata/README.md).
const LOGS = [
  { description: "Google 'Pilot' log", operator: 'Google', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfahLEimAoz2t01p3uMziiLOl/fHTDM0YDOhBRuiBARsV4UvxG2LdNgoIGLrtCzWE0J5APC2em4JlvR8EEEFMoA==' },
  { description: "Google 'Skydiver' log", operator: 'Google', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEmyGDvYXsRJsNyXSrYc9DjHsIa2xzb4UR7ZxVoV6mrc9iZB7xjI6+NrOiwH+P/xxkRmOFG6Jel20q37hTh58rA==' },
  { description: 'DigiCert Log Server', operator: 'DigiCert', key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAkbFvhu7gkAW6MHSrBlpE1n4+HCFRkC5OLAjgqhkTH+/uzSfSl8ois8ZxAD2NgaTZe1M9akhYlrYkes4JECs6A==' },
];

describe('gateway with @hypermesh/plugin-dns-ct', () => {
  let node: HypermeshNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  async function start(): Promise<string> {
    const introspection = createNodeIntrospection();
    node = createNode({
      id: 'node-1',
      logger: createDefaultLogger('silent'),
      plugins: [dnsCtPlugin, gatewayPlugin],
      overrides: [[nodeIntrospectionRef, introspection]],
      config: {
        '@hypermesh/plugin-dns-ct': { enabled: false, domain: 'hypermesh.local', ct: { logs: LOGS, use_system_roots: true } },
        '@hypermesh/plugin-gateway': { listen: '127.0.0.1:0', grpc: { enabled: false }, auth: { apiKeys: [{ id: 'ops', role: 'operator', key: KEY }] } },
      },
    });
    introspection.attach(node);
    await node.start();
    return node.get(gatewayRef).url()!;
  }

  const call = async (url: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('publishes, resolves and removes zone records', async () => {
    const url = await start();
    const upsert = await call(url, 'POST', '/v1/dns/records', {
      records: [
        { name: 'echo.svc', type: 'A', data: '10.0.0.7', ttl: 5 },
        { name: '_http._tcp.echo.svc', type: 'SRV', data: { priority: 0, weight: 1, port: 8080, target: 'echo.svc.hypermesh.local' } },
      ],
    });
    expect(upsert.status).toBe(200);
    const answer = await call(url, 'GET', '/v1/dns/lookup?name=echo.svc.hypermesh.local&type=A');
    expect(answer.body).toMatchObject({ rcode: 'NOERROR', authoritative: true, answers: [{ name: 'echo.svc.hypermesh.local', type: 'A', ttl: 5, data: '10.0.0.7' }] });
    const srv = await call(url, 'GET', '/v1/dns/lookup?name=_http._tcp.echo.svc.hypermesh.local&type=SRV');
    expect(srv.body).toMatchObject({ rcode: 'NOERROR', answers: [{ data: { port: 8080, target: 'echo.svc.hypermesh.local' } }] });
    const records = await call(url, 'GET', '/v1/dns/records?name=echo.svc.hypermesh.local');
    expect(records.body.records).toEqual([expect.objectContaining({ type: 'A', data: '10.0.0.7' })]);
    expect((await call(url, 'DELETE', '/v1/dns/records/echo.svc.hypermesh.local?type=A')).status).toBe(200);
    // The SRV name below it keeps echo.svc an empty non-terminal: NODATA, not NXDOMAIN (RFC 8020).
    expect((await call(url, 'GET', '/v1/dns/lookup?name=echo.svc.hypermesh.local&type=A')).body).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect((await call(url, 'DELETE', '/v1/dns/records/_http._tcp.echo.svc.hypermesh.local')).status).toBe(200);
    expect((await call(url, 'GET', '/v1/dns/lookup?name=echo.svc.hypermesh.local&type=A')).body).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
    const stats = await call(url, 'GET', '/v1/dns/stats');
    expect(stats.body).toMatchObject({ domain: 'hypermesh.local' });
    expect(stats.body.queries).toBeGreaterThanOrEqual(3);
  });

  it('verifies the real github.com certificate of 2018: path, host name and three valid SCTs', async () => {
    const url = await start();
    const pem = await readFile(new URL('../testdata/github-chain.pem', import.meta.url), 'utf8');
    const [leaf, issuer] = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    const verdict = await call(url, 'POST', '/v1/certificates/verify', { certificate: leaf, chain: [issuer], hostname: 'github.com', at: '2019-01-01T00:00:00Z' });
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({
      valid: true,
      subject: expect.stringContaining('github.com'),
      path: { valid: true, problems: [] },
      hostname: { name: 'github.com', matches: true },
      ct: { compliant: true, distinctOperators: 2 },
    });
    expect((verdict.body.ct as { scts: { valid: boolean }[] }).scts.map((s) => s.valid)).toEqual([true, true, true]);
    // The same certificate today is expired, and it does not name another host.
    const today = await call(url, 'POST', '/v1/certificates/verify', { certificate: leaf, chain: [issuer], hostname: 'gitlab.com' });
    expect(today.body).toMatchObject({ valid: false, hostname: { matches: false } });
    expect((today.body.reasons as string[]).length).toBeGreaterThan(0);
  });
});
