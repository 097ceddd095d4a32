import dgram from 'node:dgram';
import net from 'node:net';
import { createRandom, type Random } from '@hypermesh/runtime';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { startStubUpstream, type StubUpstream } from '../testing/stub-upstream.js';

// 100,000+ random and mutated messages over UDP and TCP against the server in its own process:
// it must answer FORMERR (or the like) or drop, never crash, keep its heap bounded, and keep
// answering valid queries throughout. The seed is printed; HM_FUZZ_SEED replays a run.
const SEED = process.env.HM_FUZZ_SEED ?? String(Date.now());
const UDP_MESSAGES = 80_000;
const TCP_CONNECTIONS = 40;
const TCP_MESSAGES_PER_CONNECTION = 500;
const ALLOWED_RCODES = new Set(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']);

const NAMES = ['echo.svc.hypermesh.local', 'hypermesh.local', 'www.example.org', 'nope.hypermesh.local', 'a.b.c.d.e.f'];
const TYPES = ['A', 'AAAA', 'TXT', 'SRV', 'ANY', 'SOA', 'NS', 'MX', 'CAA'] as const;

function validQuery(r: Random): Buffer {
  const edns = r.chance(0.5) ? [{ type: 'OPT', name: '.', udpPayloadSize: r.pick([512, 1232, 4096, 65535]) } as packet.Answer] : [];
  return packet.encode({ id: r.int(0x10000), type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: r.pick(NAMES), type: r.pick(TYPES) as packet.RecordType }], additionals: edns });
}

/** One hostile message: mutations of valid queries and structured attacks on the parser. */
function hostile(r: Random): Buffer {
  const base = validQuery(r);
  switch (r.int(10)) {
    case 0: // truncated anywhere
      return base.subarray(0, r.int(base.length));
    case 1: // random bit flips
      for (let i = 0, n = 1 + r.int(8); i < n; i++) base[r.int(base.length)]! ^= 1 << r.int(8);
      return base;
    case 2: // bad counts
      for (const at of [4, 6, 8, 10]) if (r.chance(0.5)) base.writeUInt16BE(r.int(0x10000), at);
      return base;
    case 3: {
      // a compression loop: the question name points at itself or forwards
      const b = Buffer.from(base);
      b[12] = 0xc0;
      b[13] = r.pick([12, 13, 14, 200]);
      return b;
    }
    case 4: {
      // oversized labels and label types 01/10
      const b = Buffer.from(base);
      b[12] = r.pick([64, 100, 0x40, 0x80, 0xbf, 255]);
      return b;
    }
    case 5: {
      // a name longer than 255 octets
      const labels = Array.from({ length: 4 + r.int(6) }, () => [63, ...Buffer.alloc(63, 0x61 + r.int(26))]).flat();
      const b = Buffer.concat([base.subarray(0, 12), Buffer.from(labels), Buffer.from([0, 0, 1, 0, 1])]);
      b.writeUInt16BE(1, 4);
      b.writeUInt16BE(0, 10);
      return b;
    }
    case 6: // random garbage
      return Buffer.from(Array.from({ length: r.int(700) }, () => r.int(256)));
    case 7: {
      // a valid header with random opcode / QR / flags
      const b = Buffer.from(base);
      b.writeUInt16BE(r.int(0x10000), 2);
      return b;
    }
    case 8: {
      // an OPT record with options that run past its end, or several OPT records
      const opt = Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 8, 0, 15, 0, 200, 1, 2, 3, 4]);
      const b = Buffer.concat([base.subarray(0, base.length - (base.readUInt16BE(10) > 0 ? 11 : 0)), opt, r.chance(0.5) ? opt : Buffer.alloc(0)]);
      b.writeUInt16BE(r.chance(0.5) ? 1 : 2, 10);
      return b;
    }
    default: // trailing bytes after a valid message
      return Buffer.concat([base, Buffer.from(Array.from({ length: 1 + r.int(40) }, () => r.int(256)))]);
  }
}

function check(response: Buffer, problems: string[]): void {
  try {
    const p = packet.decode(response) as packet.DecodedPacket & { rcode?: string };
    if (p.type !== 'response') problems.push('an answer without QR');
    if (!ALLOWED_RCODES.has(p.rcode ?? '') && !(p.additionals ?? []).some((a) => a.type === 'OPT')) problems.push(`rcode ${p.rcode}`);
  } catch (err) {
    problems.push(`an answer dns-packet cannot read: ${(err as Error).message}`);
  }
}

async function validQueryAnswered(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  const q = packet.encode({ id: 4242, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: 'echo.svc.hypermesh.local', type: 'A' }] });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 1000);
        socket.once('message', (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        socket.send(q, port, '127.0.0.1');
      });
      if (answer !== undefined) {
        const p = packet.decode(answer) as packet.DecodedPacket & { rcode?: string };
        return p.id === 4242 && p.rcode === 'NOERROR' && (p.answers?.[0] as { data?: unknown })?.data === '10.0.0.1';
      }
    }
    return false;
  } finally {
    socket.close();
  }
}

describe(`malformed input (seed ${SEED})`, () => {
  let server: ServerProcess;
  let upstream: StubUpstream;

  beforeAll(async () => {
    console.log(`malformed input: seed ${SEED} (replay with HM_FUZZ_SEED=${SEED})`);
    upstream = await startStubUpstream({ 'www.example.org/A': { answers: [{ name: 'www.example.org', type: 'A', ttl: 60, data: '192.0.2.1' }] } });
    server = await startServerProcess({ forwarders: [upstream.address], zone: { records: [{ name: 'echo.svc', type: 'A', data: '10.0.0.1' }] } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  it('survives 100,000+ hostile messages over UDP and TCP and keeps answering', async () => {
    const r = createRandom(SEED);
    const problems: string[] = [];
    let answered = 0;
    const socket = dgram.createSocket('udp4');
    socket.on('message', (m) => {
      answered++;
      check(m, problems);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const heaps: number[] = [];
    let sent = 0;
    for (let i = 0; i < UDP_MESSAGES; i++) {
      socket.send(hostile(r), server.port, '127.0.0.1');
      sent++;
      if (i % 250 === 249) await new Promise((resolve) => setTimeout(resolve, 4)); // let the server keep up
      if (i % 20_000 === 19_999) {
        expect(await validQueryAnswered(server.port), `valid query after ${i + 1} hostile UDP messages`).toBe(true);
        heaps.push(await server.heap());
      }
    }
    // TCP: hostile frames, and frames whose length prefix lies
    await Promise.all(
      Array.from({ length: TCP_CONNECTIONS }, async (_, c) => {
        const rc = r.fork(`tcp-${c}`);
        const conn = net.connect(server.port, '127.0.0.1');
        conn.on('data', () => answered++);
        conn.on('error', () => undefined);
        await new Promise((resolve) => conn.once('connect', resolve));
        for (let i = 0; i < TCP_MESSAGES_PER_CONNECTION; i++) {
          const m = hostile(rc);
          const frame = Buffer.alloc(2 + m.length);
          frame.writeUInt16BE(rc.chance(0.02) ? rc.int(0x10000) : m.length, 0);
          m.copy(frame, 2);
          if (!conn.write(frame)) await new Promise((resolve) => conn.once('drain', resolve));
          sent++;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        conn.destroy();
      }),
    );
    socket.close();
    heaps.push(await server.heap());
    console.log(`malformed input: ${sent} messages sent, ${answered} answers received; heap after GC: ${heaps.map((h) => `${(h / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
    expect(sent).toBeGreaterThanOrEqual(100_000);
    expect(server.child.exitCode).toBeNull();
    expect(problems.slice(0, 5)).toEqual([]);
    expect(await validQueryAnswered(server.port)).toBe(true);
    // bounded: the heap after the last round is within 8 MiB of the first measurement
    expect(heaps[heaps.length - 1]! - heaps[0]!).toBeLessThan(8 * 2 ** 20);
    const text = (await server.stats()).queries;
    expect(text).toBeGreaterThan(50_000);
  }, 240_000);
});
