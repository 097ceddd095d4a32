// Test helpers: frames for BPF_PROG_TEST_RUN and DNS messages (not exported from the package).
import { isIPv4 } from 'node:net';
import { encodeDnsName } from '../programs/dns-wire.js';

/** A DNS query message (RFC 1035 §4.1), optionally with an EDNS OPT record. */
export function dnsQuery(options: { id?: number; name: string; type?: number; rd?: boolean; edns?: boolean; spelling?: string }): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? 0x1234, 0);
  header.writeUInt16BE(options.rd === false ? 0 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(options.edns ? 1 : 0, 10);
  // the spelling keeps the case the client chose (0x20 randomisation); encodeDnsName lower-cases
  const name = encodeDnsName(options.name);
  if (options.spelling) Buffer.from(options.spelling.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]).concat([0])).copy(name);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(options.type ?? 1, 0);
  tail.writeUInt16BE(1, 2);
  const opt = options.edns ? Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([header, name, tail, opt]);
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** The Internet checksum (RFC 1071) of a buffer, folded to 16 bits, not inverted. */
export function onesComplementSum(buf: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (buf.length % 2) sum += (buf[buf.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** An Ethernet frame carrying a UDP datagram over IPv4 or IPv6 (checksums as a host would send them). */
export function udpFrame(options: { src: string; dst: string; srcPort: number; dstPort: number; payload: Uint8Array }): Buffer {
  const v4 = isIPv4(options.src);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(options.srcPort, 0);
  udp.writeUInt16BE(options.dstPort, 2);
  udp.writeUInt16BE(8 + options.payload.length, 4);
  const eth = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, v4 ? 0x08 : 0x86, v4 ? 0x00 : 0xdd]);
  let ip: Buffer;
  if (v4) {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udp.length + options.payload.length, 2);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 17;
    ipBytes(options.src).copy(ip, 12);
    ipBytes(options.dst).copy(ip, 16);
    ip.writeUInt16BE(~onesComplementSum(ip) & 0xffff, 10);
  } else {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(udp.length + options.payload.length, 4);
    ip[6] = 17;
    ip[7] = 64;
    ipBytes(options.src).copy(ip, 8);
    ipBytes(options.dst).copy(ip, 24);
  }
  return Buffer.concat([eth, ip, udp, options.payload]);
}

/** Checks the UDP checksum of an IPv6 frame; true when valid. */
export function udp6ChecksumValid(frame: Buffer): boolean {
  const ip = frame.subarray(14, 54);
  const udp = frame.subarray(54);
  const pseudo = Buffer.alloc(40);
  ip.subarray(8, 40).copy(pseudo, 0);
  pseudo.writeUInt32BE(udp.length, 32);
  pseudo[39] = 17;
  return onesComplementSum(udp, onesComplementSum(pseudo)) === 0xffff;
}

/** A DNS response frame taken apart, for assertions. */
export interface ParsedResponse {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** IPv4 header checksum valid (true for IPv6, which has none). */
  readonly ipChecksumValid: boolean;
  /** IP total length or payload length agrees with the frame. */
  readonly lengthsConsistent: boolean;
  readonly udpChecksum: number;
  readonly id: number;
  readonly flags: number;
  readonly counts: readonly [number, number, number, number];
  /** The question section's bytes as they appear in the response. */
  readonly question: Buffer;
  readonly answers: ReadonlyArray<{ readonly pointer: number; readonly type: number; readonly ttl: number; readonly rdata: Buffer }>;
  /** The OPT record's UDP payload size, when there is one. */
  readonly optPayload: number | undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Parses an Ethernet/IP/UDP/DNS response frame (no name compression except answer pointers). */
export function parseResponse(frame: Buffer): ParsedResponse {
  const v4 = frame.readUInt16BE(12) === 0x0800;
  const ipLen = v4 ? 20 : 40;
  const ip = frame.subarray(14, 14 + ipLen);
  const udp = frame.subarray(14 + ipLen, 22 + ipLen);
  const dns = frame.subarray(22 + ipLen);
  let pos = 12;
  while (dns[pos] !== 0) pos += (dns[pos] ?? 0) + 1;
  pos += 5;
  const question = dns.subarray(12, pos);
  const counts = [dns.readUInt16BE(4), dns.readUInt16BE(6), dns.readUInt16BE(8), dns.readUInt16BE(10)] as const;
  const answers = [];
  for (let i = 0; i < counts[1]; i++) {
    const rdlen = dns.readUInt16BE(pos + 10);
    answers.push({ pointer: dns.readUInt16BE(pos), type: dns.readUInt16BE(pos + 2), ttl: dns.readUInt32BE(pos + 6), rdata: dns.subarray(pos + 12, pos + 12 + rdlen) });
    pos += 12 + rdlen;
  }
  const optPayload = counts[3] === 1 && dns[pos] === 0 && dns.readUInt16BE(pos + 1) === 41 ? dns.readUInt16BE(pos + 3) : undefined;
  return {
    ethDst: hex(frame.subarray(0, 6)),
    ethSrc: hex(frame.subarray(6, 12)),
    src: ipText(v4 ? ip.subarray(12, 16) : ip.subarray(8, 24)),
    dst: ipText(v4 ? ip.subarray(16, 20) : ip.subarray(24, 40)),
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    ipChecksumValid: v4 ? onesComplementSum(ip) === 0xffff : true,
    lengthsConsistent: (v4 ? ip.readUInt16BE(2) === frame.length - 14 : ip.readUInt16BE(4) === frame.length - 54) && udp.readUInt16BE(4) === frame.length - 14 - ipLen,
    udpChecksum: udp.readUInt16BE(6),
    id: dns.readUInt16BE(0),
    flags: dns.readUInt16BE(2),
    counts,
    question,
    answers,
    optPayload,
  };
}
