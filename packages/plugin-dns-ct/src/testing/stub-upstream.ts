/**
 * Test support: a small upstream DNS server written with dns-packet (an implementation independent
 * of this package's codec) whose answers and misbehaviour a test controls.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import packet from 'dns-packet';

/** What the stub answers for `name/type`: records, an rcode, or silence. */
export type StubAnswer = { readonly answers: packet.Answer[]; readonly authorities?: packet.Answer[]; readonly rcode?: string } | 'drop';

/** A running stub upstream. */
export interface StubUpstream {
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Questions received, `name/TYPE`. */
  readonly received: string[];
  /** Replaces how `name/type` is answered. */
  set(name: string, type: string, answer: StubAnswer): void;
  /** Answers everything with this (e.g. 'drop' to simulate an outage); undefined restores the table. */
  override: StubAnswer | undefined;
  /** Answers over UDP with TC set and no records when the UDP answer would exceed this size. */
  udpLimit: number;
  close(): Promise<void>;
}

/** Starts a stub upstream on 127.0.0.1 (UDP and TCP on one ephemeral port). */
export async function startStubUpstream(table: Record<string, StubAnswer> = {}): Promise<StubUpstream> {
  const answers = new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]));
  const createUdp = () => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      const r = respond(msg, true);
      if (r !== undefined) socket.send(r, rinfo.port, rinfo.address);
    });
    return socket;
  };
  const tcp = net.createServer();
  const stub: StubUpstream = {
    port: 0,
    address: '',
    received: [],
    set: (name, type, answer) => void answers.set(`${name}/${type}`.toLowerCase(), answer),
    override: undefined,
    udpLimit: 65535,
    close: async () => {
      udp.close();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
  const respond = (query: Buffer, overUdp: boolean): Buffer | undefined => {
    let q: packet.Packet;
    try {
      q = packet.decode(query);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (question === undefined) return undefined;
    stub.received.push(`${question.name.toLowerCase()}/${question.type}`);
    const answer = stub.override ?? answers.get(`${question.name}/${question.type}`.toLowerCase()) ?? { answers: [], rcode: 'NXDOMAIN' };
    if (answer === 'drop') return undefined;
    const response = packet.encode({
      id: q.id,
      type: 'response',
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (answer.rcode === undefined ? 0 : rcodeOf(answer.rcode)),
      questions: [question],
      answers: answer.answers,
      authorities: answer.authorities ?? [],
    });
    if (overUdp && response.length > stub.udpLimit) {
      return packet.encode({ id: q.id, type: 'response', flags: packet.TRUNCATED_RESPONSE | packet.RECURSION_AVAILABLE, questions: [question] });
    }
    return response;
  };
  let udp = createUdp();
  tcp.on('connection', (socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const r = respond(buf.subarray(2, 2 + buf.readUInt16BE(0)), false);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (r === undefined) continue;
        const frame = Buffer.alloc(2 + r.length);
        frame.writeUInt16BE(r.length, 0);
        r.copy(frame, 2);
        socket.write(frame);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  // UDP takes an ephemeral port, TCP the same number. Another process may hold that TCP port
  // (tests run in parallel): then a fresh UDP socket tries another port.
  for (let attempt = 1; ; attempt++) {
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      Object.assign(stub, { port, address: `127.0.0.1:${port}` });
      return stub;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 20) throw err;
      udp.close();
      udp = createUdp();
    }
  }
}

function rcodeOf(name: string): number {
  return ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'].indexOf(name);
}

/** A SOA record for negative answers of `zone` with MINIMUM `minimum`. */
export function stubSoa(zone: string, minimum = 60, ttl = 300): packet.Answer {
  return { name: zone, type: 'SOA', ttl, data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum } };
}
