import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNode, createSimulatedClock, ctSuspiciousHook, type CtSuspiciousCertificate } from '@hypermesh/runtime';
import { CtLogClient } from './log-client.js';
import { startCtLogServer, type CtLogServer } from './log-server/log-server.js';
import { CtMonitor } from './monitor.js';
import { makeCa, makeLeaf, type TestCa } from './testing.js';

const NOW = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;
let goodCa: TestCa;
let rogueCa: TestCa;
const servers: CtLogServer[] = [];
const monitors: CtMonitor[] = [];

beforeAll(() => {
  goodCa = makeCa('Good CA', NOW);
  rogueCa = makeCa('Rogue CA', NOW);
});
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(options: Partial<ConstructorParameters<typeof CtMonitor>[0]> = {}) {
  const clock = createSimulatedClock(NOW);
  const server = await startCtLogServer({ clock, acceptAnyRoot: true });
  servers.push(server);
  const findings: CtSuspiciousCertificate[] = [];
  const errors: string[] = [];
  const monitor = new CtMonitor({
    logs: [{ url: server.url, publicKey: server.log }],
    watched: [{ domain: 'shop.example', expectedIssuers: ['CN=Good CA'], allowedNames: ['shop.example', '*.shop.example'] }],
    burst: { max: 3, windowMs: 60 * MINUTE },
    startAt: 'beginning',
    clock,
    onSuspicious: (finding) => {
      findings.push(finding);
    },
    onLogError: (_url, err) => errors.push(err.message),
    ...options,
  });
  monitors.push(monitor);
  const client = new CtLogClient({ url: server.url });
  let serial = 1;
  const submit = (ca: TestCa, names: string[], extra: { commonName?: string; poison?: boolean } = {}) =>
    extra.poison === true ? client.addPreChain([makeLeaf(ca, names, NOW, { serialNumber: serial++, ...extra }), ca.der]) : client.addChain([makeLeaf(ca, names, NOW, { serialNumber: serial++, ...extra }), ca.der]);
  return { server, clock, monitor, findings, errors, submit };
}

describe('CtMonitor following the package log server', () => {
  it('ignores good certificates and other domains, flags an unexpected issuer and SAN mismatches', async () => {
    const { monitor, findings, errors, submit, server } = await setup();
    await submit(goodCa, ['shop.example', 'www.shop.example']);
    await submit(rogueCa, ['unrelated.example']);
    await monitor.poll();
    expect(errors).toEqual([]);
    expect(findings).toEqual([]);

    await submit(rogueCa, ['pay.shop.example'], { poison: true }); // a precertificate: logged before issuance
    await submit(goodCa, ['shop.example', 'shop-login.example']);
    await submit(goodCa, ['api.shop.example'], { commonName: 'admin.shop.example' });
    await monitor.poll();
    expect(errors).toEqual([]);
    expect(findings.map((f) => [f.log.index, f.domain])).toEqual([
      [2, 'shop.example'],
      [3, 'shop.example'],
      [4, 'shop.example'],
    ]);
    expect(findings[0]!.reasons).toEqual([`unexpected issuer 'CN=Rogue CA, O=Rogue CA Org' (expected one of: CN=Good CA)`]);
    expect(findings[0]!.certificate.subjectAltNames).toEqual(['pay.shop.example']);
    expect(findings[1]!.reasons).toEqual(['SAN mismatch: names not allowed for shop.example: shop-login.example']);
    expect(findings[2]!.reasons[0]).toMatch(/SAN mismatch: the subject CN 'admin.shop.example' is not among the subjectAltNames/);
    expect(findings[2]!.log.url).toBe(server.url);
    expect(monitor.status()[0]).toMatchObject({ processed: 5 });
  });

  it('flags a burst of certificates for one name within the window', async () => {
    const { monitor, findings, submit } = await setup();
    for (let i = 0; i < 5; i++) await submit(goodCa, ['shop.example']);
    await monitor.poll();
    expect(findings.map((f) => f.reasons)).toEqual([
      [`4 certificates for 'shop.example' within 60 minutes (more than 3)`],
      [`5 certificates for 'shop.example' within 60 minutes (more than 3)`],
    ]);
  });

  it('calls the ct.suspicious hook of a runtime node, on the clock interval', async () => {
    const node = createNode({ plugins: [] });
    const seen: CtSuspiciousCertificate[] = [];
    node.hooks.tap(ctSuspiciousHook, (finding) => {
      seen.push(finding);
    });
    const { monitor, submit, clock } = await setup({ hooks: node.hooks, onSuspicious: undefined, pollIntervalMs: MINUTE });
    monitor.start();
    await submit(rogueCa, ['shop.example']);
    expect(await clock.runUntil(() => seen.length > 0, { maxMs: 5 * MINUTE, stepMs: MINUTE })).toBe(true);
    expect(seen[0]!.reasons[0]).toMatch(/unexpected issuer/);
  });

  it('reports a log whose tree heads are not consistent', async () => {
    // A fetch that answers get-sth-consistency with a proof for other trees: a log forking its history.
    let tamper = false;
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!tamper || !String(input).includes('get-sth-consistency')) return response;
      const body = (await response.json()) as { consistency: string[] };
      body.consistency = body.consistency.map((h) => Buffer.from(Buffer.from(h, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64'));
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const { monitor, errors, submit } = await setup({ fetch: tampering });
    await submit(goodCa, ['a.shop.example']);
    await submit(goodCa, ['b.shop.example']);
    await submit(goodCa, ['c.shop.example']);
    await monitor.poll();
    expect(errors).toEqual([]);
    tamper = true;
    await submit(goodCa, ['d.shop.example']);
    await monitor.poll();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/tree head 4 is not consistent with tree head 3/);
    expect(monitor.status()[0]).toMatchObject({ processed: 3, lastError: errors[0] });
  });

  it('reports a log that serves entries other than those its tree heads sign', async () => {
    // A fetch that swaps one byte of the leaf inputs get-entries returns.
    const swapping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('get-entries')) return response;
      const body = (await response.json()) as { entries: { leaf_input: string; extra_data: string }[] };
      for (const entry of body.entries) {
        const bytes = Buffer.from(entry.leaf_input, 'base64');
        bytes[5]! ^= 1; // inside the timestamp: still a well-formed leaf
        entry.leaf_input = bytes.toString('base64');
      }
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const { monitor, errors, submit } = await setup({ fetch: swapping });
    await submit(goodCa, ['a.shop.example']);
    await monitor.poll();
    expect(errors).toEqual(['the entries served do not rebuild the root hash of tree head 1']);
  });
});
