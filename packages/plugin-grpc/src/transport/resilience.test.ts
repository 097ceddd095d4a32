import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterCa } from '../certs/cluster-ca.js';
import { nodeConfig, stopAll, testLogger, waitFor } from '../test-support/cluster.js';
import { captureLogger, openRawStream, type RawStream } from '../test-support/raw-client.js';
import { createGrpcTransport, type GrpcTransport } from './grpc-transport.js';

const frame = (channel: string, payload: Uint8Array) => Buffer.concat([Buffer.from([1, Buffer.byteLength(channel)]), Buffer.from(channel), payload]);

/** A TCP listener that accepts and immediately closes every connection, recording when. */
async function slammingDoor(): Promise<{ server: NetServer; port: number; accepts: number[]; close(): Promise<void> }> {
  const accepts: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    accepts.push(performance.now());
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, accepts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('gRPC transport: reconnection, back-pressure, bad input', () => {
  const ca = createClusterCa();
  let running: GrpcTransport[] = [];
  let raw: RawStream[] = [];
  afterEach(async () => {
    for (const stream of raw) stream.close();
    raw = [];
    await stopAll(running);
    running = [];
  });
  const transport = (id: string, extra: Parameters<typeof nodeConfig>[2] = {}, logger = testLogger()) => {
    const t = createGrpcTransport({ config: nodeConfig(ca, id, extra), logger });
    running.push(t);
    return t;
  };

  it('retries an unreachable peer with exponential backoff, then connects when it appears', async () => {
    const door = await slammingDoor();
    const a = transport('a', { reconnect: { initialBackoff: 40, maxBackoff: 640, multiplier: 2, jitter: 0, connectTimeout: 2_000 } });
    await a.start();
    a.setPeers({ b: `127.0.0.1:${door.port}` });
    await waitFor(() => door.accepts.length >= 6, 'six attempts', 5_000);
    await door.close();
    // one TCP connection per attempt; between them at least 40, 80, 160, 320, 640 ms (timers never
    // fire early; a loaded machine only makes gaps longer, so only lower bounds are asserted)
    const gaps = door.accepts.slice(1).map((t, i) => t - door.accepts[i]!);
    const nominal = [40, 80, 160, 320, 640];
    nominal.forEach((ms, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(ms * 0.9));
    expect(a.stats().peers.b!.connectAttempts).toBeGreaterThanOrEqual(6);

    const b = transport('b', { listen: `127.0.0.1:${door.port}`, peers: { a: a.address() } });
    await b.start();
    await waitFor(() => a.stats().peers.b!.status === 'up' && b.stats().peers.a!.status === 'up', 'a connected to b', 5_000);
  });

  it('reconnects after the peer restarts and delivers what was queued meanwhile', async () => {
    const a = transport('a');
    const b1 = transport('b');
    await Promise.all([a.start(), b1.start()]);
    const address = b1.address();
    a.setPeers({ b: address });
    b1.setPeers({ a: a.address() });
    await waitFor(() => a.stats().peers.b!.status === 'up', 'first connection');
    const events: string[] = [];
    a.onPeerStatus((peer, status) => events.push(`${peer} ${status}`));

    await b1.stop();
    await waitFor(() => a.stats().peers.b!.status === 'down', 'a sees b down');
    for (let i = 0; i < 5; i++) expect(a.send('b', 'log', new Uint8Array([i]))).toBe(true);
    expect(a.stats().peers.b!.queuedMessages).toBe(5);

    const b2 = transport('b', { listen: address, peers: { a: a.address() } });
    const got: number[] = [];
    b2.subscribe('log', (from, payload) => from === 'a' && got.push(payload[0]!));
    await b2.start();
    await waitFor(() => got.length === 5, 'queued messages delivered after the restart');
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(events).toEqual(['b down', 'b up']);
    expect(a.stats().peers.b).toMatchObject({ status: 'up', reconnects: 1, queuedMessages: 0 });
  });

  it('applies back-pressure: send returns false once the queue is full, by count and by bytes', async () => {
    const door = await slammingDoor();
    try {
      const a = transport('a', { limits: { maxQueuedMessages: 10, maxQueuedBytes: 1_000_000 }, peers: { b: `127.0.0.1:${door.port}` } });
      const c = transport('c', { limits: { maxQueuedMessages: 1_000, maxQueuedBytes: 1_000 }, peers: { d: `127.0.0.1:${door.port}` } });
      await Promise.all([a.start(), c.start()]);
      for (let i = 0; i < 10; i++) expect(a.send('b', 'x', new Uint8Array(8))).toBe(true);
      expect(a.send('b', 'x', new Uint8Array(8))).toBe(false);
      expect(a.stats().peers.b).toMatchObject({ queuedMessages: 10, dropped: expect.objectContaining({ 'queue-full': 1 }) });
      // frames are payload + 3 bytes (kind, length, 'x'): three 300-byte payloads fit in 1000 bytes
      for (let i = 0; i < 3; i++) expect(c.send('d', 'x', new Uint8Array(300))).toBe(true);
      expect(c.send('d', 'x', new Uint8Array(300))).toBe(false);
      expect(c.stats().peers.d).toMatchObject({ queuedMessages: 3, queuedBytes: 909 });
    } finally {
      await door.close();
    }
  });

  it('drops malformed and oversized frames from a peer, counts and logs them once, and keeps serving', async () => {
    const { logger, records } = captureLogger();
    const b = transport('b', { limits: { maxMessageBytes: 1024 }, peers: { a: '127.0.0.1:1' } }, logger);
    await b.start();
    const got: number[] = [];
    b.subscribe('x', (_from, payload) => got.push(payload.byteLength));
    const cert = ca.issueNodeCertificate('a');
    const creds = () => credentials.createSsl(Buffer.from(ca.caCertPem), Buffer.from(cert.keyPem), Buffer.from(cert.certPem), { checkServerIdentity: () => undefined });
    const stream = openRawStream(b.address(), creds(), 'a');
    raw.push(stream);
    expect(await stream.outcome).toEqual({ accepted: true });
    const garbage = [Buffer.alloc(0), Buffer.from([7, 1, 0x78]), Buffer.from([1]), Buffer.from([1, 0]), Buffer.from([1, 2, 0xff, 0xfe]), Buffer.from([1, 9, 0x78])];
    for (const bytes of garbage) stream.call.write(bytes);
    stream.call.write(frame('x', new Uint8Array(1025))); // over the limit, under gRPC's hard limit
    stream.call.write(frame('x', new Uint8Array(1024))); // at the limit: delivered
    await waitFor(() => got.length === 1, 'the good message after the bad ones');
    expect(got).toEqual([1024]);
    expect(b.stats().peers.a).toMatchObject({ status: 'up', receivedMessages: 8, dropped: expect.objectContaining({ malformed: 6, oversized: 1 }) });
    const logged = records.filter((r) => r.peer === 'a' && (r.reason === 'malformed' || r.reason === 'oversized'));
    expect(logged.map((r) => r.reason)).toEqual(['malformed', 'oversized']); // once per reason, not per frame
    expect(logged[0]!.msg).toBe("dropped a malformed frame from 'a': empty");
    expect(logged[1]!.msg).toBe("dropped a 1025-byte message from 'a' on channel 'x': the limit is 1024 bytes");

    // A frame beyond gRPC's hard limit (twice the message limit) resets that stream; the node serves on.
    stream.call.write(frame('x', new Uint8Array(4096)));
    const status = await stream.ended;
    expect(status.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    await waitFor(() => b.stats().peers.a!.status === 'down', 'the reset stream noticed');
    const again = openRawStream(b.address(), creds(), 'a');
    raw.push(again);
    expect(await again.outcome).toEqual({ accepted: true });
    again.call.write(frame('x', new Uint8Array(3)));
    await waitFor(() => got.length === 2, 'a message on the new stream');
  });

  it('between two transports, a receiver with a smaller limit drops the oversized message and delivers the next', async () => {
    const a = transport('a', { limits: { maxMessageBytes: 4096 } });
    const b = transport('b', { limits: { maxMessageBytes: 1024 } });
    await Promise.all([a.start(), b.start()]);
    a.setPeers({ b: b.address() });
    b.setPeers({ a: a.address() });
    const got: number[] = [];
    b.subscribe('x', (_from, payload) => got.push(payload.byteLength));
    a.send('b', 'x', new Uint8Array(2000));
    a.send('b', 'x', new Uint8Array(10));
    await waitFor(() => got.length === 1, 'the small message');
    expect(got).toEqual([10]);
    expect(b.stats().peers.a!.dropped.oversized).toBe(1);
  });

  it('keeps delivering when a subscriber throws, and counts the error', async () => {
    const a = transport('a');
    const b = transport('b');
    await Promise.all([a.start(), b.start()]);
    a.setPeers({ b: b.address() });
    b.setPeers({ a: a.address() });
    const got: number[] = [];
    b.subscribe('x', () => {
      throw new Error('subscriber bug');
    });
    b.subscribe('x', (_from, payload) => got.push(payload[0]!));
    a.send('b', 'x', new Uint8Array([1]));
    a.send('b', 'x', new Uint8Array([2]));
    await waitFor(() => got.length === 2, 'both messages');
    expect(b.stats().peers.a!.handlerErrors).toBe(2);
  });
});
