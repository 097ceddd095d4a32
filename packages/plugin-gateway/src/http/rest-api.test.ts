import { execFileSync } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockRef, createSimulatedClock } from '@hypermesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { signJwt } from '../auth/jwt.js';
import { startTestGateway, TEST_JWT_SECRET, TEST_KEYS } from '../testing/gateway-node.js';

// The gateway over real HTTP, with test doubles of the scheduler, resolver, certificates,
// analytics and consensus contracts behind it (see testing/contract-doubles.ts).

const spec = {
  name: 'echo',
  command: ['/bin/echo-server', '--port', '8080'],
  ports: [{ name: 'http', port: 8080 }],
  resources: { cpuMillis: '250m', memoryBytes: '64Mi', pids: 32 },
};

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

describe('gateway REST API', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function start(options: Parameters<typeof startTestGateway>[0] = {}): Promise<Gateway> {
    const gateway = await startTestGateway(options);
    cleanups.push(gateway.stop);
    return gateway;
  }

  function call(gateway: Gateway, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    return fetch(`${gateway.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
  }

  it('answers 401 without credentials and with unknown ones, with a JSON error', async () => {
    const gateway = await start();
    const none = await call(gateway, 'GET', '/v1/status');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await none.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('E_GATEWAY_UNAUTHENTICATED');
    expect(body.error.message).toContain('Authorization: Bearer');
    const wrong = await call(gateway, 'POST', '/v1/workloads', { token: 'not-a-key-0123456789', body: spec });
    expect(wrong.status).toBe(401);
    // /healthz is the one public route.
    expect((await call(gateway, 'GET', '/healthz')).status).toBe(200);
  });

  it('lets a viewer read but not deploy (403), and an operator deploy, list, get and remove', async () => {
    const gateway = await start();
    expect((await call(gateway, 'GET', '/v1/workloads', { token: TEST_KEYS.viewer })).status).toBe(200);
    const denied = await call(gateway, 'POST', '/v1/workloads', { token: TEST_KEYS.viewer, body: spec });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'E_GATEWAY_FORBIDDEN',
      message: "'viewer-key' has role viewer, but workloads.deploy needs operator or above",
    });

    const deployed = await call(gateway, 'POST', '/v1/workloads', { token: TEST_KEYS.operator, body: spec });
    expect(deployed.status).toBe(201);
    expect(await deployed.json()).toEqual({ placement: { workload: 'echo', namespace: 'default', node: 'node-1', sequence: 1 } });
    const list = (await (await call(gateway, 'GET', '/v1/workloads', { token: TEST_KEYS.viewer })).json()) as { workloads: { name: string }[] };
    expect(list.workloads.map((w) => w.name)).toEqual(['echo']);
    expect(await (await call(gateway, 'GET', '/v1/workloads/echo', { token: TEST_KEYS.viewer })).json()).toMatchObject({ name: 'echo', phase: 'running' });
    const logs = (await (await call(gateway, 'GET', '/v1/workloads/echo/logs?tail=1', { token: TEST_KEYS.viewer })).json()) as { lines: string[] };
    expect(logs.lines).toEqual([{ at: 1, stream: 'stdout', text: 'hello from the test double' }]);
    expect((await call(gateway, 'DELETE', '/v1/workloads/echo', { token: TEST_KEYS.viewer })).status).toBe(403);
    expect((await call(gateway, 'DELETE', '/v1/workloads/echo', { token: TEST_KEYS.operator })).status).toBe(200);
    const gone = await call(gateway, 'GET', '/v1/workloads/echo', { token: TEST_KEYS.viewer });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('E_GATEWAY_RESOURCE_NOT_FOUND');
  });

  it('answers a malformed body with 400 and the path of every bad field', async () => {
    const gateway = await start();
    const bad = await call(gateway, 'POST', '/v1/workloads', {
      token: TEST_KEYS.operator,
      body: { ...spec, name: 'Bad_Name', ports: [{ name: 'http', port: 70000 }], resources: { cpuMillis: 'lots', memoryBytes: 1, pids: 1 }, extra: 1 },
    });
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { code: string; message: string; details: { issues: { path: string; message: string }[] } } };
    expect(error.code).toBe('E_GATEWAY_INVALID_REQUEST');
    expect(error.details.issues.map((i) => i.path).sort()).toEqual(['body', 'body.name', 'body.ports[0].port', 'body.resources.cpuMillis']);
    expect(error.message).toContain('body.ports[0].port');
    expect(error.details.issues.find((i) => i.path === 'body')?.message).toContain('extra');

    const notJson = await call(gateway, 'POST', '/v1/workloads', { token: TEST_KEYS.operator, body: '{"name": ' });
    expect(notJson.status).toBe(400);
    const wrongType = await call(gateway, 'POST', '/v1/workloads', { token: TEST_KEYS.operator, body: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
    const query = await call(gateway, 'GET', '/v1/threats?limit=0', { token: TEST_KEYS.viewer });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { error: { details: { issues: { path: string }[] } } }).error.details.issues[0]!.path).toBe('query.limit');
  });

  it('refuses a body over maxBodyBytes with 413 and keeps serving', async () => {
    const gateway = await start({ config: { maxBodyBytes: 2048 } });
    const big = await call(gateway, 'POST', '/v1/dns/records', {
      token: TEST_KEYS.operator,
      body: { records: [{ name: 'a.svc', type: 'TXT', data: 'x'.repeat(5000) }] },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('E_GATEWAY_PAYLOAD_TOO_LARGE');
    expect((await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.viewer })).status).toBe(200);
  });

  it('writes every mutating call to the audit log — successes, refusals and failures — readable by admins only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hm-audit-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'audit.jsonl');
    const gateway = await start({ config: { audit: { file } } });
    const mutations: [string, string, string, unknown][] = [
      [TEST_KEYS.operator, 'POST', '/v1/workloads', spec],
      [TEST_KEYS.viewer, 'POST', '/v1/workloads', { ...spec, name: 'sneaky' }],
      [TEST_KEYS.operator, 'POST', '/v1/workloads', { ...spec, name: 'huge', resources: { cpuMillis: 64000, memoryBytes: 1, pids: 1 } }],
      [TEST_KEYS.operator, 'POST', '/v1/workloads', { name: 'x' }],
      [TEST_KEYS.operator, 'POST', '/v1/dns/records', { records: [{ name: 'db.svc', type: 'A', data: '10.1.2.3' }] }],
      [TEST_KEYS.operator, 'DELETE', '/v1/dns/records/db.svc.hypermesh.local?type=A', undefined],
      [TEST_KEYS.operator, 'DELETE', '/v1/workloads/echo', undefined],
      [TEST_KEYS.admin, 'POST', '/v1/keys', { id: 'ci', role: 'viewer' }],
      [TEST_KEYS.admin, 'DELETE', '/v1/keys/ci', undefined],
    ];
    const statuses: number[] = [];
    for (const [token, method, path, body] of mutations) statuses.push((await call(gateway, method, path, { token, body })).status);
    expect(statuses).toEqual([201, 403, 409, 400, 200, 200, 200, 201, 200]);
    // Reads are not audited.
    await call(gateway, 'GET', '/v1/workloads', { token: TEST_KEYS.operator });

    expect((await call(gateway, 'GET', '/v1/audit', { token: TEST_KEYS.operator })).status).toBe(403);
    const { entries } = (await (await call(gateway, 'GET', '/v1/audit?limit=100', { token: TEST_KEYS.admin })).json()) as {
      entries: { who: string; role: string; operation: string; outcome: string; status: number; target?: string; at: string; error?: { code: string } }[];
    };
    const oldestFirst = [...entries].reverse();
    expect(oldestFirst.map((e) => [e.who, e.operation, e.outcome, e.status])).toEqual([
      ['operator-key', 'workloads.deploy', 'ok', 201],
      ['viewer-key', 'workloads.deploy', 'denied', 403],
      ['operator-key', 'workloads.deploy', 'failed', 409],
      ['operator-key', 'workloads.deploy', 'invalid', 400],
      ['operator-key', 'dns.records.upsert', 'ok', 200],
      ['operator-key', 'dns.records.remove', 'ok', 200],
      ['operator-key', 'workloads.remove', 'ok', 200],
      ['admin-key', 'keys.create', 'ok', 201],
      ['admin-key', 'keys.delete', 'ok', 200],
    ]);
    expect(oldestFirst[0]).toMatchObject({ role: 'operator', target: 'default/echo', transport: 'http', client: '127.0.0.1' });
    expect(oldestFirst[2]!.error?.code).toBe('E_SCHED_UNSCHEDULABLE');
    expect(Number.isNaN(Date.parse(oldestFirst[0]!.at))).toBe(false);

    // The same entries, in order, in the append-only JSON-lines file.
    await gateway.stop();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { operation: string; outcome: string });
    expect(lines.map((l) => `${l.operation}:${l.outcome}`)).toEqual(oldestFirst.map((e) => `${e.operation}:${e.outcome}`));

    // A restarted gateway reads the file back.
    const again = await start({ config: { audit: { file } } });
    const reread = (await (await call(again, 'GET', '/v1/audit', { token: TEST_KEYS.admin })).json()) as { entries: unknown[] };
    expect(reread.entries).toHaveLength(9);
  });

  it('rate limits per key with 429 and Retry-After, by the clock service', async () => {
    const clock = createSimulatedClock(1_000_000);
    const gateway = await start({ config: { rateLimit: { requestsPerSecond: 1, burst: 3 } }, overrides: [[clockRef, clock]] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.viewer })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.viewer });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('E_GATEWAY_RATE_LIMITED');
    // Another key has its own bucket.
    expect((await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.operator })).status).toBe(200);
    await clock.advance(1000);
    expect((await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.viewer })).status).toBe(200);
    expect(await (await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEYS.admin}` } })).text()).toMatch(
      /hypermesh_gateway_rate_limited_total\{caller="authenticated",node="node-1"\} 2/,
    );
  });

  it('rate limits callers without valid credentials per address', async () => {
    const gateway = await start({ config: { rateLimit: { unauthenticatedPerSecond: 0.1, unauthenticatedBurst: 2 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(gateway, 'GET', '/v1/status', { token: 'guess-0123456789abcdef' })).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('answers 503 naming the plugin when a service is missing, and status lists what is missing', async () => {
    const gateway = await start({ services: { scheduler: false, analytics: false } });
    const missing = await call(gateway, 'GET', '/v1/workloads', { token: TEST_KEYS.viewer });
    expect(missing.status).toBe(503);
    const { error } = (await missing.json()) as { error: { code: string; message: string; details: unknown } };
    expect(error.code).toBe('E_GATEWAY_SERVICE_UNAVAILABLE');
    expect(error.message).toBe(
      "workloads.list needs the 'scheduler' service, which no plugin provides on node 'node-1'; load @hypermesh/plugin-scheduler on this node",
    );
    expect(error.details).toEqual({ service: 'scheduler', provider: '@hypermesh/plugin-scheduler' });
    expect((await call(gateway, 'GET', '/v1/threats', { token: TEST_KEYS.viewer })).status).toBe(503);
    const status = (await (await call(gateway, 'GET', '/v1/status', { token: TEST_KEYS.viewer })).json()) as {
      workloads: unknown;
      consensus: { primary: string };
      unavailable: { service: string }[];
    };
    expect(status.workloads).toBeNull();
    expect(status.consensus.primary).toBe('node-4');
    expect(status.unavailable.map((u) => u.service)).toEqual(['scheduler', 'analytics']);
  });

  it('serves status, plugins, consensus, DNS, lookups, certificates and threats', async () => {
    const gateway = await start();
    const get = async (path: string) => {
      const r = await call(gateway, 'GET', path, { token: TEST_KEYS.viewer });
      expect(r.status, path).toBe(200);
      return (await r.json()) as Record<string, unknown>;
    };
    expect(await get('/v1/whoami')).toEqual({ id: 'viewer-key', role: 'viewer', via: 'api-key' });
    const plugins = (await get('/v1/plugins')) as { plugins: { name: string; provides: string[] }[] };
    expect(plugins.plugins.map((p) => [p.name, p.provides])).toEqual([['@hypermesh/plugin-gateway', ['gateway']]]);
    expect(await get('/v1/consensus')).toMatchObject({ view: 3, primary: 'node-4' });
    const upsert = await call(gateway, 'POST', '/v1/dns/records', {
      token: TEST_KEYS.operator,
      body: {
        records: [
          { name: 'echo.svc', type: 'A', data: '10.0.0.7' },
          { name: '_http._tcp.echo.svc', type: 'SRV', data: { priority: 0, weight: 1, port: 8080, target: 'echo.svc.hypermesh.local' } },
          { name: 'echo.svc', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: 'ABCDEF01' } },
        ],
      },
    });
    expect(upsert.status).toBe(200);
    const records = (await get('/v1/dns/records?name=echo.svc.hypermesh.local&type=tlsa')) as { records: { data: { certificate: string } }[] };
    expect(records.records[0]!.data.certificate).toBe('abcdef01');
    const answer = (await get('/v1/dns/lookup?name=echo.svc.hypermesh.local.&type=A')) as { rcode: string; answers: { data: string }[] };
    expect(answer).toMatchObject({ rcode: 'NOERROR', answers: [{ data: '10.0.0.7' }] });
    expect(((await get('/v1/dns/lookup?name=nope.svc.hypermesh.local')) as { rcode: string }).rcode).toBe('NXDOMAIN');
    const badType = await call(gateway, 'GET', '/v1/dns/lookup?name=x.example&type=BOGUS', { token: TEST_KEYS.viewer });
    expect(badType.status).toBe(400);
    expect(await get('/v1/threats?limit=5')).toMatchObject({ threats: [{ kind: 'dga', severity: 'high' }] });
    expect(await get('/v1/threats/top-talkers')).toEqual({ topTalkers: [{ client: '192.0.2.9', queries: 420 }] });
    const status = (await get('/v1/status')) as { node: { plugins: unknown[] }; dns: { records: number }; analytics: { recentThreats: number }; unavailable: unknown[] };
    expect(status.dns.records).toBe(3);
    expect(status.analytics.recentThreats).toBe(1);
    expect(status.unavailable).toEqual([]);
  });

  it('verifies certificates through the certificates service (a real certificate made by openssl)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hm-cert-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=echo.svc.hypermesh.local',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const certificate = await readFile(join(dir, 'cert.pem'), 'utf8');
    const gateway = await start();
    const r = await call(gateway, 'POST', '/v1/certificates/verify', { token: TEST_KEYS.viewer, body: { certificate } });
    expect(r.status).toBe(200);
    const verdict = (await r.json()) as { valid: boolean; subject: string; path: { valid: boolean }; ct: { compliant: boolean }; notAfter: string };
    expect(verdict).toMatchObject({ valid: false, subject: 'CN=echo.svc.hypermesh.local', path: { valid: true }, ct: { compliant: false } });
    expect(Date.parse(verdict.notAfter)).toBeGreaterThan(Date.now());
    const notPem = await call(gateway, 'POST', '/v1/certificates/verify', { token: TEST_KEYS.viewer, body: { certificate: 'hello' } });
    expect(notPem.status).toBe(400);
  });

  it('accepts HS256 JWTs with role claims and refuses expired, not-yet-valid, forged and alg=none tokens', async () => {
    const gateway = await start();
    const now = Math.floor(Date.now() / 1000);
    const good = signJwt({ sub: 'ada', role: 'operator', exp: now + 60 }, TEST_JWT_SECRET);
    expect(await (await call(gateway, 'GET', '/v1/whoami', { token: good })).json()).toEqual({ id: 'ada', role: 'operator', via: 'jwt' });
    expect((await call(gateway, 'POST', '/v1/workloads', { token: good, body: spec })).status).toBe(201);
    const refused = async (token: string) => {
      const r = await call(gateway, 'GET', '/v1/whoami', { token });
      expect(r.status).toBe(401);
      return ((await r.json()) as { error: { message: string } }).error.message;
    };
    expect(await refused(signJwt({ sub: 'ada', role: 'viewer', exp: now - 120 }, TEST_JWT_SECRET))).toContain('expired');
    expect(await refused(signJwt({ sub: 'ada', role: 'viewer', nbf: now + 600 }, TEST_JWT_SECRET))).toContain('not valid before');
    expect(await refused(signJwt({ sub: 'ada', role: 'admin' }, 'another-secret-of-at-least-32-characters'))).toContain('signature');
    const [, payload] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(await refused(none)).toContain('"none" is not accepted');
    expect(await refused(signJwt({ sub: 'ada', role: 'root' as 'admin' }, TEST_JWT_SECRET))).toContain('must be one of viewer, operator, admin');
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    const gateway = await start();
    expect((await call(gateway, 'GET', '/v1/nope', { token: TEST_KEYS.viewer })).status).toBe(404);
    const wrong = await call(gateway, 'PUT', '/v1/workloads', { token: TEST_KEYS.viewer });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
  });

  it('frees its ports when the node stops', async () => {
    const gateway = await startTestGateway();
    const port = Number(new URL(gateway.url).port);
    await gateway.stop();
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
