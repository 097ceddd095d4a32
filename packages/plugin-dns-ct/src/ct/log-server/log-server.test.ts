import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedClock, isHypermeshError } from '@hypermesh/runtime';
import { CtLogClient } from '../log-client.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../merkle/proofs.js';
import { decodeMerkleTreeLeaf, encodeMerkleTreeLeaf } from '../sct.js';
import { verifySth } from '../sth.js';
import { makeCa, makeLeaf, type TestCa } from '../testing.js';
import { verifyEmbeddedScts, verifySct } from '../verify-scts.js';
import { startCtLogServer, type CtLogServer } from './log-server.js';

const NOW = Date.UTC(2026, 0, 15);
let ca: TestCa;
const servers: CtLogServer[] = [];
const dirs: string[] = [];

beforeAll(() => {
  ca = makeCa('Cluster CA', NOW);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startCtLogServer>[0] = {}) {
  const clock = createSimulatedClock(NOW);
  const server = await startCtLogServer({ clock, roots: [ca.der], ...options });
  servers.push(server);
  return { server, clock, client: new CtLogClient({ url: server.url, publicKey: server.log }) };
}

describe('CT log server and client over HTTP', () => {
  it('issues an SCT on add-chain that verifies as a TLS-extension SCT, and proves inclusion', async () => {
    const { server, client } = await start();
    const leaf = makeLeaf(ca, ['api.example.test'], NOW);
    const sct = await client.addChain([leaf, ca.der]);
    expect(sct.timestamp).toBe(NOW);
    expect(verifySct({ sct, certificate: leaf, logs: [server.log] })).toMatchObject({ valid: true, logName: 'HyperMesh cluster CT log' });

    const sth = await client.getSth();
    expect(sth.treeSize).toBe(1);
    const hash = leafHash(encodeMerkleTreeLeaf(sct.timestamp, { type: 'x509', certificate: leaf }, sct.extensions));
    const proof = await client.getProofByHash(hash, sth.treeSize);
    expect(verifyInclusion({ leafHash: hash, index: proof.leafIndex, treeSize: sth.treeSize, proof: proof.auditPath, rootHash: sth.rootHash })).toEqual({ valid: true });
  });

  it('issues precertificate SCTs that verify once embedded in the final certificate', async () => {
    const { server, client } = await start();
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const precert = makeLeaf(ca, ['www.example.test'], NOW, { poison: true, publicKey, serialNumber: 42 });
    const sct = await client.addPreChain([precert, ca.der]);
    expect(verifySct({ sct, certificate: precert, issuer: ca.der, logs: [server.log] }).valid).toBe(true);

    const final = makeLeaf(ca, ['www.example.test'], NOW, { scts: [sct], publicKey, serialNumber: 42 });
    const [verdict] = verifyEmbeddedScts({ certificate: final, issuer: ca.der, logs: [server.log] });
    expect(verdict).toMatchObject({ valid: true, origin: 'embedded', timestamp: NOW });
    // A final certificate that differs from the precertificate (another serial) does not verify.
    const other = makeLeaf(ca, ['www.example.test'], NOW, { scts: [sct], publicKey, serialNumber: 43 });
    expect(verifyEmbeddedScts({ certificate: other, issuer: ca.der, logs: [server.log] })[0]!.valid).toBe(false);

    const [entry] = await client.getEntries(0, 0);
    expect(entry!.leaf.entry.type).toBe('precert');
    expect(decodeMerkleTreeLeaf(entry!.leafInput).timestamp).toBe(NOW);
  });

  it('serves signed tree heads that verify, and consistency proofs between every pair of sizes', async () => {
    const { server, client, clock } = await start();
    const heads = [];
    for (let i = 0; i < 9; i++) {
      await clock.advance(1000);
      await client.addChain([makeLeaf(ca, [`n${i}.example.test`], NOW, { serialNumber: 100 + i }), ca.der]);
      heads.push(await client.getSth());
    }
    const raw = heads[8]!.response;
    expect(verifySth({ sth: raw, publicKey: server.log.key }).valid).toBe(true);
    expect(verifySth({ sth: JSON.stringify(raw), publicKey: server.log }).valid).toBe(true);
    expect(verifySth({ sth: { ...raw, tree_size: raw.tree_size + 1 }, publicKey: server.log })).toMatchObject({ valid: false });
    expect(verifySth({ sth: { ...raw, timestamp: raw.timestamp - 1 }, publicKey: server.log }).valid).toBe(false);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(verifySth({ sth: raw, publicKey: otherKey })).toMatchObject({ valid: false });
    expect(verifySth({ sth: { ...raw, sha256_root_hash: 'AAAA' }, publicKey: server.log })).toMatchObject({ valid: false, reason: 'sha256_root_hash is 3 bytes, not 32' });

    for (let a = 0; a < heads.length; a++) {
      for (let b = a; b < heads.length; b++) {
        const proof = await client.getSthConsistency(heads[a]!.treeSize, heads[b]!.treeSize);
        const check = { oldSize: heads[a]!.treeSize, newSize: heads[b]!.treeSize, oldRoot: heads[a]!.rootHash, newRoot: heads[b]!.rootHash, proof };
        expect(verifyConsistency(check), `${a} → ${b}`).toEqual({ valid: true });
      }
    }
    const entries = await client.getEntries(2, 5);
    expect(entries.map((e) => e.index)).toEqual([2, 3, 4, 5]);
    expect((await client.getRoots()).map((r) => Buffer.from(r).toString('hex'))).toEqual([Buffer.from(ca.der).toString('hex')]);
  });

  it('returns the same SCT when a certificate is submitted twice', async () => {
    const { client, clock } = await start();
    const leaf = makeLeaf(ca, ['twice.example.test'], NOW);
    const first = await client.addChain([leaf, ca.der]);
    await clock.advance(5000);
    const second = await client.addChain([leaf, ca.der]);
    expect(second.timestamp).toBe(first.timestamp);
    expect((await client.getSth()).treeSize).toBe(1);
  });

  it('refuses bad submissions and bad parameters with HTTP 400, and keeps serving', async () => {
    const rejected: string[] = [];
    const { server, client } = await start({ onRejected: (method, reason) => rejected.push(`${method}: ${reason}`) });
    const strangerCa = makeCa('Stranger CA', NOW);
    const stranger = makeLeaf(strangerCa, ['evil.example.test'], NOW);
    await expect(client.addChain([stranger, strangerCa.der])).rejects.toSatisfy((err) => isHypermeshError(err, 'E_CT_LOG_HTTP') && /accepted roots/.test((err as Error).message));
    await expect(client.addChain([makeLeaf(ca, ['p.example.test'], NOW, { poison: true }), ca.der])).rejects.toThrow(/add-pre-chain/);
    await expect(client.addChain([stranger, ca.der])).rejects.toThrow(/is not signed by/);

    const post = (body: string) => fetch(`${server.url}ct/v1/add-chain`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('{not json')).status).toBe(400);
    expect((await post('{"chain":[1,2]}')).status).toBe(400);
    expect((await post('{"chain":["AAAA"]}')).status).toBe(400);
    expect((await fetch(`${server.url}ct/v1/get-entries?start=0&end=x`)).status).toBe(400);
    expect((await fetch(`${server.url}ct/v1/get-sth-consistency?first=3&second=1`)).status).toBe(400);
    expect((await fetch(`${server.url}ct/v1/get-nothing`)).status).toBe(404);
    expect((await fetch(`${server.url}ct/v1/get-sth`, { method: 'POST' })).status).toBe(405);
    expect(rejected.length).toBeGreaterThanOrEqual(8);

    await client.addChain([makeLeaf(ca, ['ok.example.test'], NOW), ca.der]);
    expect((await client.getSth()).treeSize).toBe(1);
  });

  it('keeps its entries and key across a restart when given a storage file and a key file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hm-ctlog-'));
    dirs.push(dir);
    const files = { storageFile: join(dir, 'entries.jsonl'), keyFile: join(dir, 'log-key.pem') };
    const first = await start(files);
    const leaf = makeLeaf(ca, ['keep.example.test'], NOW);
    const sct = await first.client.addChain([leaf, ca.der]);
    await first.client.addChain([makeLeaf(ca, ['keep2.example.test'], NOW, { serialNumber: 9 }), ca.der]);
    const before = await first.client.getSth();
    await first.server.close();
    servers.splice(servers.indexOf(first.server), 1);

    const second = await start(files);
    expect(second.server.log.logId).toBe(first.server.log.logId);
    const after = await second.client.getSth();
    expect(after.treeSize).toBe(2);
    expect(Buffer.from(after.rootHash).equals(Buffer.from(before.rootHash))).toBe(true);
    const again = await second.client.addChain([leaf, ca.der]);
    expect(again.timestamp).toBe(sct.timestamp);
  });

  it('makes the client throw E_CT_LOG_RESPONSE when a tree head does not verify with the configured key', async () => {
    const { server } = await start();
    const wrong = new CtLogClient({ url: server.url, publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey });
    await expect(wrong.getSth()).rejects.toSatisfy((err) => isHypermeshError(err, 'E_CT_LOG_RESPONSE'));
    const closed = new CtLogClient({ url: 'http://127.0.0.1:9/', timeoutMs: 2000 });
    await expect(closed.getSth()).rejects.toSatisfy((err) => isHypermeshError(err, 'E_CT_LOG_HTTP'));
  });
});
