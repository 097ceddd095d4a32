import { createKeyring, generateNodeKeys } from '@hypermesh/runtime';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../messages/envelope.js';
import { CHANNEL } from '../replica/replica.js';
import { createSimulatedCluster, type SimulatedCluster } from '../testing/index.js';

// Bad input from the network: every kind is dropped, counted per sender and reason, logged once,
// and the replica keeps serving.
describe('bad input', () => {
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => cluster?.stop());

  async function setup() {
    const records: { msg: string; reason?: string; sender?: string; node?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void records.push(JSON.parse(line)) });
    cluster = await createSimulatedCluster({ n: 4, seed: 'bad-input', logger, config: { max_message_bytes: 64 * 1024 } });
    await cluster.submit({ op: 'set', key: 'before', value: 1 });
    const mallory = cluster.network.transport('mallory');
    return { c: cluster, records, mallory };
  }

  const dropped = async (c: SimulatedCluster, node: number, reason: string, sender: string) => {
    const text = await c.node(node)!.metrics.metrics();
    const line = text.split('\n').find((l) => l.startsWith('hypermesh_pbft_messages_dropped_total{') && l.includes(`reason="${reason}"`) && l.includes(`sender="${sender}"`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  it('drops malformed frames, messages from unknown nodes and oversized messages, then keeps committing', async () => {
    const { c, records, mallory } = await setup();
    // 1. Garbage and a truncated frame.
    mallory.send('replica-1', CHANNEL, new Uint8Array([1, 2, 3]));
    mallory.send('replica-1', CHANNEL, new Uint8Array(Buffer.concat([Buffer.from([0xb7, 1]), Buffer.alloc(64), Buffer.from([0, 0, 0, 200]), Buffer.from('{"type":')])));
    // 2. A well-formed, signed message from a node the replicas have no key for.
    const keys = generateNodeKeys(['mallory'], { seed: 'mallory' });
    const auth = new Authenticator(createKeyring({ nodeId: 'mallory', privateKey: keys.mallory!.privateKey, publicKeys: {} }), { n: 4, window: 8, maxEntries: 8 });
    mallory.send('replica-1', CHANNEL, auth.seal({ type: 'request', from: 'mallory', requests: [{ client: 'mallory/0', timestamp: 1, namespace: 'kv', operation: { op: 'set', key: 'evil', value: 1 } }] }));
    // 3. A correctly framed envelope whose body is not JSON.
    mallory.send('replica-1', CHANNEL, new Uint8Array(Buffer.concat([Buffer.from([0xb7, 1]), Buffer.alloc(64), Buffer.from([0, 0, 0, 9]), Buffer.from('{not json')])));
    // 4. A message over the replica's 64 KiB limit.
    mallory.send('replica-1', CHANNEL, new Uint8Array(100 * 1024));
    await c.runFor(50);
    expect(await dropped(c, 1, 'malformed', 'mallory')).toBe(3);
    expect(await dropped(c, 1, 'unknown-sender', 'mallory')).toBe(1);
    expect(await dropped(c, 1, 'oversized', 'mallory')).toBe(1);
    // Logged once per sender and reason, with the reason.
    const logged = records.filter((r) => r.node === 'replica-1' && r.sender === 'mallory');
    expect(logged.map((r) => r.reason).sort()).toEqual(['malformed', 'oversized', 'unknown-sender']);
    expect(logged.find((r) => r.reason === 'oversized')!.msg).toMatch(/exceeds the 65536-byte limit/);
    // The replica still works, and nothing of mallory's committed.
    expect(await c.submit({ op: 'set', key: 'after', value: 2 }, { via: 1 })).toEqual({ value: 2 });
    expect(await c.submit({ op: 'get', key: 'evil' }, { via: 1 })).toEqual({ value: null });
    c.assertInvariants({ liveness: true });
  });

  it('drops forged, replayed and out-of-window messages from a replica and counts them against it', async () => {
    const { c } = await setup();
    const keys = generateNodeKeys(c.ids, { seed: 'hypermesh-simulation' });
    const publicKeys = Object.fromEntries(c.ids.map((id) => [id, keys[id]!.publicKey]));
    const as = (id: string) => new Authenticator(createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys }), { n: 4, window: 8, maxEntries: 8 });
    const fromTwo = c.network.transport('replica-2');
    const digest = '0'.repeat(64);
    // Forged: replica-2's signature, one bit flipped.
    const forged = as('replica-2').seal({ type: 'commit', from: 'replica-2', view: 0, seq: 2, digest });
    forged[20]! ^= 1;
    fromTwo.send('replica-1', CHANNEL, forged);
    // Replayed: a message replica-3 signed, sent by replica-2.
    fromTwo.send('replica-1', CHANNEL, as('replica-3').seal({ type: 'commit', from: 'replica-3', view: 0, seq: 2, digest }));
    // Out of window: a vote far above the high watermark (h + L).
    fromTwo.send('replica-1', CHANNEL, as('replica-2').seal({ type: 'commit', from: 'replica-2', view: 0, seq: 100_000, digest }));
    await c.runFor(20);
    expect(await dropped(c, 1, 'bad-signature', 'replica-2')).toBe(1);
    expect(await dropped(c, 1, 'relayed', 'replica-2')).toBe(1);
    expect(await dropped(c, 1, 'out-of-window', 'replica-2')).toBe(1);
    const reasons = c.status(1).replicas[2]!;
    expect(reasons.reputation).toBeLessThan(0.7);
    expect(await c.submit({ op: 'get', key: 'before' }, { via: 1 })).toEqual({ value: 1 });
    c.assertInvariants({ liveness: true });
  });

  it('counts a malformed message from a replica against that replica', async () => {
    const { c } = await setup();
    c.network.transport('replica-2').send('replica-1', CHANNEL, new Uint8Array([0xb7, 1, 2]));
    await c.runFor(20);
    expect(await dropped(c, 1, 'malformed', 'replica-2')).toBe(1);
    expect(c.status(1).replicas[2]!.reputation).toBeLessThan(1);
    expect(await c.submit({ op: 'get', key: 'before' }, { via: 1 })).toEqual({ value: 1 });
  });
});
