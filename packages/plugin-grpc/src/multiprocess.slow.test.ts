import { afterEach, describe, expect, it } from 'vitest';
import { createClusterCa } from './certs/cluster-ca.js';
import { killNode, lastStatus, received, spawnNode, type ChildNode } from './test-support/child-nodes.js';
import { nodeConfig, stopAll, testLogger, waitFor } from './test-support/cluster.js';
import { createGrpcTransport, type GrpcTransport } from './transport/grpc-transport.js';

describe('nodes in separate processes over gRPC with mutual TLS', () => {
  const ca = createClusterCa();
  let children: ChildNode[] = [];
  let local: GrpcTransport[] = [];
  afterEach(async () => {
    await Promise.all(children.map(killNode));
    children = [];
    await stopAll(local);
    local = [];
  });

  it('three processes exchange messages; one is killed, the others see it down; restarted, it reconnects', async () => {
    const ids = ['p1', 'p2', 'p3'];
    children = ids.map((id) => spawnNode(ca, id));
    const addresses = Object.fromEntries(await Promise.all(children.map(async (c) => [c.id, await c.address] as const)));
    const peersOf = (id: string) => Object.fromEntries(Object.entries(addresses).filter(([peer]) => peer !== id));
    for (const child of children) child.command({ type: 'peers', peers: peersOf(child.id) });
    const [p1, p2, p3] = children as [ChildNode, ChildNode, ChildNode];
    const allUp = () => children.every((c) => ids.every((peer) => peer === c.id || lastStatus(c, peer) === 'up'));
    await waitFor(allUp, 'every process sees the two others up', 20_000);

    for (const child of children) child.command({ type: 'broadcast', channel: 'greet', data: `hello from ${child.id}` });
    p1.command({ type: 'send', to: 'p3', channel: 'direct', data: 'only for p3' });
    await waitFor(() => received(p1).length === 2 && received(p2).length === 2 && received(p3).length === 3, 'greetings', 10_000);
    expect(received(p1).sort()).toEqual(['p2 greet hello from p2', 'p3 greet hello from p3']);
    expect(received(p2).sort()).toEqual(['p1 greet hello from p1', 'p3 greet hello from p3']);
    expect(received(p3).sort()).toEqual(['p1 direct only for p3', 'p1 greet hello from p1', 'p2 greet hello from p2']);

    await killNode(p2);
    await waitFor(() => lastStatus(p1, 'p2') === 'down' && lastStatus(p3, 'p2') === 'down', 'p1 and p3 see p2 down', 10_000);
    expect(lastStatus(p1, 'p3')).toBe('up');

    const p2again = spawnNode(ca, 'p2', { listen: addresses.p2, peers: peersOf('p2') });
    children.push(p2again);
    await waitFor(
      () => lastStatus(p1, 'p2') === 'up' && lastStatus(p3, 'p2') === 'up' && lastStatus(p2again, 'p1') === 'up' && lastStatus(p2again, 'p3') === 'up',
      'p2 back and connected both ways',
      20_000,
    );
    p2again.command({ type: 'broadcast', channel: 'greet', data: 'p2 is back' });
    p1.command({ type: 'send', to: 'p2', channel: 'direct', data: 'welcome back' });
    await waitFor(() => received(p2again).includes('p1 direct welcome back') && received(p3).includes('p2 greet p2 is back'), 'messages after the restart', 10_000);
    expect(received(p1)).toContain('p2 greet p2 is back');
  });

  it('back-pressure from a peer that stops reading: send returns false, then nothing accepted is lost', async () => {
    const child = spawnNode(ca, 'b', { keepalive: { interval: 60_000, timeout: 20_000 } });
    children = [child];
    const a = createGrpcTransport({ config: { ...nodeConfig(ca, 'a'), limits: { maxQueuedMessages: 64 } }, logger: testLogger() });
    local = [a];
    await a.start();
    a.setPeers({ b: await child.address });
    child.command({ type: 'peers', peers: { a: a.address() } });
    await waitFor(() => a.stats().peers.b!.status === 'up', 'a connected to b', 20_000);

    child.process.kill('SIGSTOP');
    const payload = Buffer.alloc(16 * 1024, 0x61);
    let accepted = 0;
    // the stopped process reads nothing: HTTP/2 flow control, then gRPC's buffer, then the queue fill up
    while (a.send('b', 'greet', payload)) {
      accepted++;
      if (accepted % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (accepted > 200_000) throw new Error('no back-pressure after 3 GiB');
    }
    expect(a.stats().peers.b).toMatchObject({ queuedMessages: 64, dropped: expect.objectContaining({ 'queue-full': 1 }) });
    child.process.kill('SIGCONT');
    await waitFor(() => received(child).length === accepted, `all ${accepted} accepted messages delivered`, 60_000);
    expect(a.stats().peers.b!.queuedMessages).toBe(0);
    expect(a.send('b', 'greet', payload)).toBe(true);
  });
});
