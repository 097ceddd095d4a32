import { systemClock } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate, tempDir } from '../testing/peers.js';
import { useCleanup } from '../testing/cleanup.js';
import { ForwardFailure, Forwarder } from './forwarder.js';
import { answerChain, resolutionFromMessage } from './to-resolution.js';

const question = (name: string, type = 1) => ({ name, type, qclass: 1 });

function forwarder(upstreams: string[], extra: Partial<ConstructorParameters<typeof Forwarder>[0]> = {}) {
  return new Forwarder({ upstreams, timeoutMs: 300, retries: 2, udpSize: 1232, maxFailures: 2, downForMs: 60_000, clock: systemClock, ...extra });
}

describe('forwarder', () => {
  const { defer, stub, node } = useCleanup();

  it('forwards over UDP and retries over TCP when the answer is truncated', async () => {
    const upstream = await stub({ 'big.example/TXT': { answers: [{ name: 'big.example', type: 'TXT', ttl: 60, data: Array.from({ length: 30 }, () => 'z'.repeat(50)) }] } });
    upstream.udpLimit = 512;
    const f = forwarder([upstream.address]);
    defer(() => f.close());
    const answer = await f.ask(f.upstreams[0]!, question('big.example', 16));
    expect(answer.message.answers[0]!.data).toHaveLength(30);
    expect(upstream.received).toEqual(['big.example/TXT', 'big.example/TXT']); // UDP, then TCP
  });

  it('moves on to the next upstream after a timeout and takes a failing upstream out of rotation', async () => {
    const dead = await stub();
    dead.override = 'drop';
    const alive = await stub({ 'a.example/A': { answers: [{ name: 'a.example', type: 'A', ttl: 60, data: '192.0.2.1' }] } });
    const f = forwarder([dead.address, alive.address]);
    defer(() => f.close());
    for (let i = 0; i < 4; i++) {
      const answer = await f.query(question('a.example'));
      expect(answer.upstream.id).toBe(alive.address);
    }
    // after max_failures (2) timeouts the dead upstream is no longer asked first
    expect(dead.received.length).toBe(2);
    expect(f.upstreams[0]!.downUntil).toBeGreaterThan(Date.now());
  });

  it('fails with the reason of every attempt when no upstream answers', async () => {
    const a = await stub();
    a.override = { answers: [], rcode: 'SERVFAIL' };
    const f = forwarder([a.address], { retries: 0 });
    defer(() => f.close());
    const err = await f.query(question('x.example')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForwardFailure);
    expect((err as ForwardFailure).kind).toBe('rcode');
    expect((err as Error).message).toMatch(/answered rcode 2/);
  });

  it('forwards over DNS over TLS (RFC 7858) and checks the upstream certificate', async () => {
    const dir = tempDir('dot-upstream');
    defer(() => dir.dispose());
    const { cert, key } = await selfSignedCertificate(dir.path, ['dot.test']);
    const upstream = await node({ listen_tls: '127.0.0.1:0', tls: { cert, key }, zone: { records: [{ name: 'web', type: 'A', data: '10.9.9.9' }] } });
    const port = upstream.addresses.dot!.port;
    const good = forwarder([`tls://127.0.0.1:${port}#dot.test`], { tlsCa: cert });
    defer(() => good.close());
    const answer = await good.query(question('web.hypermesh.local'));
    expect(answer.message.answers[0]!.data).toBe('10.9.9.9');
    const wrongName = forwarder([`tls://127.0.0.1:${port}#other.test`], { tlsCa: cert, retries: 0 });
    defer(() => wrongName.close());
    await expect(wrongName.query(question('web.hypermesh.local'))).rejects.toThrow(/other.test|altnames|certificate/i);
  });

  it('keeps only the CNAME chain and the asked RRset, and the SOA for negative answers', () => {
    const chain = answerChain('www.example', 1, [
      { name: 'www.example', type: 'CNAME', ttl: 60, data: 'web.example' },
      { name: 'web.example', type: 'A', ttl: 60, data: '192.0.2.1' },
      { name: 'evil.example', type: 'A', ttl: 60, data: '203.0.113.66' },
    ]);
    expect(chain.map((r) => r.name)).toEqual(['www.example', 'web.example']);
    const negative = resolutionFromMessage({ name: 'nx.example', type: 'A' }, 1, {
      id: 1,
      flags: 0x8180,
      rcode: 3,
      question: question('nx.example'),
      answers: [],
      authorities: [
        { name: 'other.org', type: 'SOA', ttl: 60, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } },
        { name: 'example', type: 'SOA', ttl: 60, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } },
      ],
      additionals: [],
      edns: undefined,
    }, 'upstream');
    expect(negative.rcode).toBe('NXDOMAIN');
    expect(negative.authorities.map((r) => r.name)).toEqual(['example']);
  });
});
