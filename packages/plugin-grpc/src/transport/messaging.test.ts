import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterCa } from '../certs/cluster-ca.js';
import { nodeConfig, startCluster, stopAll, testLogger, waitFor } from '../test-support/cluster.js';
import { createGrpcTransport, type GrpcTransport } from './grpc-transport.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const bytes = (s: string) => new TextEncoder().encode(s);

describe('gRPC transport: messaging over mutual TLS on loopback', () => {
  let running: GrpcTransport[] = [];
  afterEach(async () => {
    await stopAll(running);
    running = [];
  });

  it('exchanges messages both ways between two nodes, per channel, with `from` set to the sender', async () => {
    const { transports } = await startCluster(['a', 'b']);
    running = Object.values(transports);
    const a = transports.a!;
    const b = transports.b!;
    const seen: string[] = [];
    for (const t of [a, b]) {
      for (const channel of ['prepare', 'commit']) t.subscribe(channel, (from, payload) => seen.push(`${t.nodeId}<-${from} ${channel} ${text(payload)}`));
    }
    expect(a.send('b', 'prepare', bytes('p1'))).toBe(true);
    expect(a.send('b', 'commit', bytes('c1'))).toBe(true);
    expect(b.send('a', 'prepare', bytes('p2'))).toBe(true);
    b.send('a', 'other', bytes('nobody listens')); // no subscriber: dropped and counted
    await waitFor(() => seen.length === 3 && a.stats().peers.b!.dropped['no-subscriber'] === 1, 'three deliveries');
    expect(seen.sort()).toEqual(['a<-b prepare p2', 'b<-a commit c1', 'b<-a prepare p1']);
    expect(a.peers()).toEqual(['b']);
    expect(a.stats().peers.b).toMatchObject({ status: 'up', sentMessages: 2, receivedMessages: 2 });
  });

  it('connects four nodes in a full mesh; broadcast reaches every other node once, in order per sender', async () => {
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const { transports } = await startCluster(ids);
    running = Object.values(transports);
    const received: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
    for (const id of ids) {
      transports[id]!.subscribe('view', (from, payload) => received[id]!.push(`${from}:${text(payload)}`));
      transports[id]!.subscribe('ckpt', (from, payload) => received[id]!.push(`${from}:ckpt:${text(payload)}`));
    }
    for (const id of ids) {
      for (let i = 0; i < 50; i++) transports[id]!.broadcast('view', bytes(String(i)));
      transports[id]!.broadcast('ckpt', bytes('done'));
    }
    await waitFor(() => ids.every((id) => received[id]!.length === 3 * 51), 'every broadcast delivered');
    for (const id of ids) {
      expect(transports[id]!.peers()).toEqual(ids.filter((p) => p !== id));
      for (const from of ids.filter((p) => p !== id)) {
        const fromThis = received[id]!.filter((m) => m.startsWith(`${from}:`));
        // one stream per pair keeps each sender's messages in order
        expect(fromThis).toEqual([...Array.from({ length: 50 }, (_, i) => `${from}:${i}`), `${from}:ckpt:done`]);
      }
      expect(received[id]!.some((m) => m.startsWith(`${id}:`))).toBe(false);
    }
  });

  it('copies the payload at send, so the caller may reuse its buffer', async () => {
    const { transports } = await startCluster(['a', 'b']);
    running = Object.values(transports);
    const got: string[] = [];
    transports.b!.subscribe('x', (_from, payload) => got.push(text(payload)));
    const buffer = bytes('first');
    transports.a!.send('b', 'x', buffer);
    buffer.set(bytes('XXXXX'));
    await waitFor(() => got.length === 1, 'delivery');
    expect(got).toEqual(['first']);
  });

  it('refuses at send: an unknown peer, an oversized payload, a bad channel, a stopped transport', async () => {
    const { transports } = await startCluster(['a', 'b'], { config: { limits: { maxMessageBytes: 1024 } } });
    running = Object.values(transports);
    const a = transports.a!;
    expect(a.maxMessageBytes).toBe(1024);
    expect(() => a.send('zed', 'x', bytes('hi'))).toThrow(expect.objectContaining({ code: 'E_TRANSPORT_REFUSED', message: expect.stringContaining("'zed', which is not a peer (peers: b)") }));
    expect(() => a.send('a', 'x', bytes('hi'))).toThrow(/not a peer/);
    expect(() => a.send('b', 'x', new Uint8Array(1025))).toThrow(/1025-byte message on channel 'x' exceeds the 1024-byte limit/);
    expect(a.send('b', 'x', new Uint8Array(1024))).toBe(true);
    expect(() => a.send('b', '', bytes('hi'))).toThrow(/channel "" must be 1 to 255 bytes/);
    expect(() => a.send('b', 'x', 'text' as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
    await a.stop();
    expect(() => a.send('b', 'x', bytes('hi'))).toThrow(/the transport is stopped/);
  });

  it('reports peers going up and down to onPeerStatus listeners', async () => {
    const ca = createClusterCa();
    const a = createGrpcTransport({ config: nodeConfig(ca, 'a'), logger: testLogger() });
    const b = createGrpcTransport({ config: nodeConfig(ca, 'b'), logger: testLogger() });
    running = [a, b];
    const events: string[] = [];
    a.onPeerStatus((peer, status) => events.push(`a sees ${peer} ${status}`));
    const unsubscribe = b.onPeerStatus((peer, status) => events.push(`b sees ${peer} ${status}`));
    await Promise.all([a.start(), b.start()]);
    a.setPeers({ b: b.address() });
    b.setPeers({ a: a.address() });
    await waitFor(() => events.length === 2, 'both up');
    expect(events.sort()).toEqual(['a sees b up', 'b sees a up']);
    unsubscribe();
    await b.stop();
    await waitFor(() => events.length === 3, 'a sees b down');
    expect(events[2]).toBe('a sees b down');
  });

  it('stops cleanly: streams closed, server closed, the port free again', async () => {
    const { transports } = await startCluster(['a', 'b']);
    const port = Number(transports.b!.address().split(':')[1]);
    await stopAll(Object.values(transports));
    await transports.b!.stop(); // idempotent
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    await expect(transports.a!.start()).rejects.toThrow(/cannot be started again/);
  });

  it('fails to start with E_GRPC_LISTEN when the address is taken', async () => {
    const ca = createClusterCa();
    const first = createGrpcTransport({ config: nodeConfig(ca, 'a'), logger: testLogger() });
    running = [first];
    await first.start();
    const second = createGrpcTransport({ config: { ...nodeConfig(ca, 'b'), listen: first.address() }, logger: testLogger() });
    await expect(second.start()).rejects.toThrow(expect.objectContaining({ code: 'E_GRPC_LISTEN' }));
    await second.stop();
  });
});
