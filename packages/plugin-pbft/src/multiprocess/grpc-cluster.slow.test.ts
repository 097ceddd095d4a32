import { Client, credentials, Metadata, type StatusObject } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcCluster, type GrpcCluster } from './grpc-cluster.js';

// Four replicas as separate Node processes, talking gRPC with mutual TLS on loopback; a fifth
// process is a client. Nothing here is simulated: real processes, sockets, certificates, time.
describe('PBFT over gRPC with mutual TLS, one process per replica', () => {
  let cluster: GrpcCluster;
  let killed: string | undefined;
  beforeAll(async () => {
    cluster = await startGrpcCluster({ replicas: 4, clients: 1, pbft: { timeout: 200, batch_size: 16 } });
  }, 120_000);
  afterAll(async () => cluster?.stop(), 30_000);

  it('commits operations, keeps committing after the primary is killed, and all survivors agree', async () => {
    const [client] = cluster.clients;
    for (let i = 0; i < 5; i++) expect(await cluster.submit(client!, { op: 'set', key: `a${i}`, value: i }, 20_000)).toEqual({ value: i });
    // Kill whichever replica is primary now. Start-up, with connections still opening, may have
    // started a view change on some replica, and one replica's word is not the group's: wait until
    // all four report the same installed view.
    const settled = async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const all = await Promise.all(cluster.replicas.map((r) => cluster.status(r)));
        const views = new Set(all.map((s) => s.status.view));
        if (views.size === 1 && all.every((s) => !s.status.viewChangeInProgress)) return all[1]!;
        if (Date.now() > deadline) throw new Error(`replicas did not settle on one view: ${all.map((s) => `${s.status.nodeId} view ${s.status.view}${s.status.viewChangeInProgress ? ' (changing)' : ''}`).join(', ')}`);
        await cluster.submit(client!, { op: 'get', key: 'a0' }, 20_000);
      }
    };
    const before = await settled();
    expect(before.status.lastExecuted).toBeGreaterThan(0);
    const primary = cluster.replicas.find((r) => r.id === before.status.primary)!;
    killed = primary.id;
    await primary.kill(); // SIGKILL: no goodbye
    const survivors = cluster.replicas.filter((r) => r !== primary);

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => cluster.submit(client!, { op: 'set', key: `b${i}`, value: i }, 20_000)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => ({ value: i })));
    expect(await cluster.submit(survivors[0]!, { op: 'get', key: 'b9' }, 20_000)).toEqual({ value: 9 });
    for (const s of await Promise.all(survivors.map((r) => cluster.status(r)))) {
      expect(s.status.view).toBeGreaterThan(before.status.view);
      expect(s.status.primary).not.toBe(primary.id);
    }
    // Every survivor executes the same operations: each answers reads of both phases alike.
    for (const r of survivors) {
      expect(await cluster.submit(r, { op: 'get', key: 'a4' }, 20_000)).toEqual({ value: 4 });
      expect(await cluster.submit(r, { op: 'get', key: 'b0' }, 20_000)).toEqual({ value: 0 });
    }
  }, 120_000);

  it('refuses a peer whose certificate names another node than the one it claims', async () => {
    const target = cluster.replicas.find((r) => r.id !== killed)!;
    const claim = killed ?? 'replica-0';
    const other = cluster.replicas.find((r) => r.id !== claim && r.id !== target.id)!;
    // A certificate from the cluster CA for one replica, presented by someone who claims to be
    // another (the primary we killed): the transport must not let it in.
    const stolen = cluster.ca.issueNodeCertificate(other.id);
    // The impostor does not care who the server is; it only wants in.
    const creds = credentials.createSsl(Buffer.from(cluster.ca.caCertPem), Buffer.from(stolen.keyPem), Buffer.from(stolen.certPem), { checkServerIdentity: () => undefined });
    const client = new Client(target.address, creds, { 'grpc.ssl_target_name_override': 'node.hypermesh' });
    const metadata = new Metadata();
    metadata.set('hypermesh-node', claim);
    const call = client.makeBidiStreamRequest('/hypermesh.transport.v1.Transport/Exchange', (b: Buffer) => b, (b: Buffer) => b, metadata);
    call.on('error', () => undefined);
    const outcome = await new Promise<'accepted' | StatusObject>((resolve) => {
      call.on('metadata', () => resolve('accepted'));
      call.on('status', (status) => resolve(status));
    });
    call.cancel();
    client.close();
    expect(outcome).not.toBe('accepted');
    expect((outcome as StatusObject).details).toMatch(new RegExp(other.id));
    const status = await cluster.status(target);
    expect(status.transport.refusedStreams['identity-mismatch']).toBeGreaterThanOrEqual(1);
    // The cluster carries on.
    expect(await cluster.submit(cluster.clients[0]!, { op: 'set', key: 'after-impostor', value: true }, 20_000)).toEqual({ value: true });
  }, 60_000);
});
