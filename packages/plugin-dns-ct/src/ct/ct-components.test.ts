import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createNode, createSimulatedClock, ctSuspiciousHook, type CtSuspiciousCertificate } from '@hypermesh/runtime';
import { ctConfigSchema } from './config.js';
import { createCtComponents } from './ct-components.js';
import { CtLogClient } from './log-client.js';
import { toPem } from '../x509/pem.js';
import { encodeSct } from './sct.js';
import { makeCa, makeLeaf } from './testing.js';

describe('createCtComponents from the ct config section', () => {
  it('reads the log list file, validates config, and reports bad values by path', () => {
    const logListFile = fileURLToPath(new URL('./testdata/real/log_list_v3_2023-03-22.json', import.meta.url));
    const config = ctConfigSchema.parse({ log_list_file: logListFile, policy: { mode: 'fixed', min_scts: 1 } });
    const ct = createCtComponents(config);
    expect(ct.logs).toHaveLength(23);
    expect(config.monitor.poll_interval).toBe(60_000);
    const bad = ctConfigSchema.safeParse({ monitor: { poll_interval: 'soon' }, log_server: { listen: 'nowhere' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['monitor.poll_interval', 'log_server.listen']);
  });

  it('runs the cluster log and a monitor watching it, and trusts the own log for SCTs', async () => {
    const now = Date.UTC(2026, 4, 1);
    const clock = createSimulatedClock(now);
    const ca = makeCa('Cluster CA', now);
    const findings: CtSuspiciousCertificate[] = [];
    const config = ctConfigSchema.parse({
      log_server: { enabled: true, listen: '127.0.0.1:0' },
      monitor: { enabled: true, start_at: 'beginning', poll_interval: '1m', watched_domains: [{ domain: 'bank.test', expected_issuers: ['CN=Cluster CA'] }] },
      policy: { mode: 'fixed', min_scts: 1, min_operators: 1 },
      trust_anchors: [toPem(ca.der)],
    });
    const node = createNode({ plugins: [] });
    node.hooks.tap(ctSuspiciousHook, (finding) => {
      findings.push(finding);
    });
    const ct = createCtComponents(config, { clock, hooks: node.hooks });
    await ct.start();
    try {
      const server = ct.logServer!;
      expect(ct.logs.map((l) => l.logId)).toEqual([server.log.logId]);
      const client = new CtLogClient({ url: server.url });
      const leaf = makeLeaf(ca, ['www.bank.test'], now);
      const sct = await client.addChain([leaf, ca.der]);
      const verdict = await ct.certificates.verify({ certificate: leaf, chain: [ca.der], hostname: 'www.bank.test', scts: [encodeSct(sct)] });
      expect(verdict).toMatchObject({ valid: true, ct: { compliant: true } });

      const rogue = makeCa('Rogue CA', now);
      await client.addChain([makeLeaf(rogue, ['login.bank.test'], now), rogue.der]);
      expect(await clock.runUntil(() => findings.length > 0, { maxMs: 5 * 60_000, stepMs: 60_000 })).toBe(true);
      expect(findings[0]).toMatchObject({ domain: 'bank.test', log: { url: server.url, index: 1 } });
    } finally {
      await ct.stop();
    }
    expect(ct.logServer).toBeUndefined();
  });
});
