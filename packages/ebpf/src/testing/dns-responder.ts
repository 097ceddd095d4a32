// A small authoritative DNS responder on node:dgram, the userspace peer of the datapath tests
// and benchmark: answers A/AAAA from a record table and counts what it saw (not exported).
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { parseAddress } from '../policy/address.js';
import { decodeDnsName } from '../programs/dns-wire.js';

/** A running responder. */
export interface DnsResponder {
  readonly port: number;
  /** Queries received, by lower-case name. */
  readonly seen: Map<string, number>;
  /** Total queries received. */
  received(): number;
  close(): Promise<void>;
}

/** Starts a responder on `address` (port 0: ephemeral) answering from `records` (name → addresses). */
export async function startDnsResponder(options: {
  readonly address: string;
  readonly port?: number;
  readonly records: ReadonlyMap<string, readonly string[]>;
  readonly ttl?: number;
}): Promise<DnsResponder> {
  const socket: Socket = createSocket({ type: isIPv4(options.address) ? 'udp4' : 'udp6', reuseAddr: false });
  const seen = new Map<string, number>();
  let total = 0;
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    let end = 12;
    while (end < msg.length && msg[end] !== 0) end += (msg[end] ?? 0) + 1;
    const question = msg.subarray(12, end + 5);
    const name = decodeDnsName(msg, 12, end + 1 - 12).toLowerCase();
    const qtype = msg.readUInt16BE(end + 1);
    total++;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    const addresses = (options.records.get(name) ?? []).filter((a) => (qtype === 1 ? isIPv4(a) : qtype === 28 && !isIPv4(a)));
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (options.records.has(name) ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((a) => {
      const rdata = isIPv4(a) ? parseAddress(a).subarray(12) : parseAddress(a);
      const rr = Buffer.alloc(12 + rdata.length);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(options.ttl ?? 60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      rr.set(rdata, 12);
      return rr;
    });
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.address, () => resolve());
  });
  return {
    port: socket.address().port,
    seen,
    received: () => total,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
