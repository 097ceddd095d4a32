import type { DnsRecord, ExtendedDnsError } from '@hypermesh/runtime';
import { ipv4Text, ipv6Text } from './addresses.js';
import { WireFormatError, nameCursor, readName, type NameCursor } from './names.js';
import { EdnsOptionCode, Flag, TypeCode, typeName } from './record-types.js';

/** An EDNS option (RFC 6891 §6.1.2). */
export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** What an OPT pseudo-record says (RFC 6891 §6.1.3). */
export interface EdnsInfo {
  /** The requestor's UDP payload size. */
  readonly udpSize: number;
  /** The upper 8 bits of the extended RCODE. */
  readonly extendedRcode: number;
  readonly version: number;
  /** The DO bit (RFC 3225). */
  readonly dnssecOk: boolean;
  readonly options: readonly EdnsOption[];
}

/** A question as it is on the wire: name in presentation form, numeric type and class. */
export interface WireQuestion {
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
}

/** The fixed header (RFC 1035 §4.1.1). */
export interface WireHeader {
  readonly id: number;
  /** The 16 flag bits including opcode and the low 4 bits of the RCODE. */
  readonly flags: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/** Reads the header; throws a `WireFormatError` for fewer than 12 octets. */
export function readHeader(buf: Buffer): WireHeader {
  if (buf.length < 12) throw new WireFormatError(`message of ${buf.length} octets is shorter than a DNS header`);
  return {
    id: buf.readUInt16BE(0),
    flags: buf.readUInt16BE(2),
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/** Reads a question at `pos`; returns it and the offset after it. */
export function readQuestion(buf: Buffer, pos: number, cursor: NameCursor = nameCursor()): { question: WireQuestion; next: number } {
  readName(buf, pos, buf.length, cursor);
  const at = cursor.next;
  if (at + 4 > buf.length) throw new WireFormatError('question runs past the end of the message');
  return { question: { name: cursor.name, type: buf.readUInt16BE(at), qclass: buf.readUInt16BE(at + 2) }, next: at + 4 };
}

/** Reads an OPT record's fields (its name and type already read); `ttl` and `rdata` bounds given. */
export function readOpt(buf: Buffer, udpSize: number, ttl: number, start: number, end: number): EdnsInfo {
  const options: EdnsOption[] = [];
  for (let pos = start; pos < end; ) {
    if (pos + 4 > end) throw new WireFormatError('EDNS option header runs past the OPT record');
    const code = buf.readUInt16BE(pos);
    const length = buf.readUInt16BE(pos + 2);
    if (pos + 4 + length > end) throw new WireFormatError('EDNS option runs past the OPT record');
    options.push({ code, data: buf.subarray(pos + 4, pos + 4 + length) });
    pos += 4 + length;
  }
  return { udpSize, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options };
}

/** Extended DNS Errors (RFC 8914) carried in EDNS options. */
export function extendedErrorsOf(edns: EdnsInfo | undefined): ExtendedDnsError[] {
  const out: ExtendedDnsError[] = [];
  for (const option of edns?.options ?? []) {
    if (option.code !== EdnsOptionCode.ExtendedError || option.data.length < 2) continue;
    const infoCode = (option.data[0]! << 8) | option.data[1]!;
    const extraText = Buffer.from(option.data.subarray(2)).toString('utf8');
    out.push(extraText.length > 0 ? { infoCode, extraText } : { infoCode });
  }
  return out;
}

/** The fixed part of a resource record (RFC 1035 §4.1.3) and where its RDATA lies. */
export interface RecordHeader {
  readonly owner: string;
  readonly type: number;
  readonly rclass: number;
  readonly ttl: number;
  /** RDATA bounds. */
  readonly start: number;
  readonly end: number;
}

/** Reads a record's owner, type, class, TTL and RDATA bounds at `pos`. */
export function readRecordHeader(buf: Buffer, pos: number, cursor: NameCursor): RecordHeader {
  readName(buf, pos, buf.length, cursor);
  const at = cursor.next;
  if (at + 10 > buf.length) throw new WireFormatError('resource record header runs past the end of the message');
  const start = at + 10;
  const end = start + buf.readUInt16BE(at + 8);
  if (end > buf.length) throw new WireFormatError('RDATA runs past the end of the message');
  return { owner: cursor.name, type: buf.readUInt16BE(at), rclass: buf.readUInt16BE(at + 2), ttl: buf.readUInt32BE(at + 4), start, end };
}

/** A whole decoded message (upstream responses, test peers). */
export interface DecodedMessage {
  readonly id: number;
  readonly flags: number;
  /** The full RCODE: header bits plus the OPT record's extension. */
  readonly rcode: number;
  readonly question: WireQuestion | undefined;
  readonly answers: DnsRecord[];
  readonly authorities: DnsRecord[];
  readonly additionals: DnsRecord[];
  readonly edns: EdnsInfo | undefined;
}

/**
 * Decodes a whole message. Records of classes other than IN are skipped; RDATA of types without a
 * structured form stays raw octets (RFC 3597), decompressed only for the RFC 1035 types that may
 * carry compressed names.
 */
export function decodeMessage(buf: Buffer): DecodedMessage {
  const header = readHeader(buf);
  const cursor = nameCursor();
  let pos = 12;
  let question: WireQuestion | undefined;
  for (let i = 0; i < header.qdcount; i++) {
    const read = readQuestion(buf, pos, cursor);
    question ??= read.question;
    pos = read.next;
  }
  const sections: DnsRecord[][] = [[], [], []];
  let edns: EdnsInfo | undefined;
  const counts = [header.ancount, header.nscount, header.arcount];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const { owner, type, rclass, ttl, start, end } = readRecordHeader(buf, pos, cursor);
      if (type === TypeCode.OPT) {
        if (s !== 2 || edns !== undefined || owner !== '') throw new WireFormatError('misplaced or repeated OPT record');
        edns = readOpt(buf, rclass, ttl, start, end);
      } else if (rclass === 1) {
        sections[s]!.push(readRecordData(buf, owner, type, ttl > 0x7fffffff ? 0 : ttl, start, end, cursor));
      }
      pos = end;
    }
  }
  const rcode = (header.flags & 0xf) | ((edns?.extendedRcode ?? 0) << 4);
  return { id: header.id, flags: header.flags, rcode, question, answers: sections[0]!, authorities: sections[1]!, additionals: sections[2]!, edns };
}

function readRecordData(buf: Buffer, name: string, code: number, ttl: number, start: number, end: number, cursor: NameCursor): DnsRecord {
  const type = typeName(code);
  const nameAt = (pos: number): string => {
    readName(buf, pos, end, cursor);
    return cursor.name;
  };
  const exact = (n: number) => {
    if (end - start !== n) throw new WireFormatError(`${type} RDATA of '${name}' has ${end - start} octets, expected ${n}`);
  };
  switch (code) {
    case TypeCode.A:
      exact(4);
      return { name, type: 'A', ttl, data: ipv4Text(buf, start) };
    case TypeCode.AAAA:
      exact(16);
      return { name, type: 'AAAA', ttl, data: ipv6Text(buf, start) };
    case TypeCode.CNAME:
    case TypeCode.NS:
    case TypeCode.PTR:
      return { name, type: type as 'CNAME' | 'NS' | 'PTR', ttl, data: nameAt(start) };
    case TypeCode.MX: {
      if (end - start < 3) throw new WireFormatError(`MX RDATA of '${name}' is too short`);
      return { name, type: 'MX', ttl, data: { preference: buf.readUInt16BE(start), exchange: nameAt(start + 2) } };
    }
    case TypeCode.SOA: {
      const mname = nameAt(start);
      const rname = nameAt(cursor.next);
      const at = cursor.next;
      if (at + 20 !== end) throw new WireFormatError(`SOA RDATA of '${name}' has the wrong length`);
      return {
        name,
        type: 'SOA',
        ttl,
        data: {
          mname,
          rname,
          serial: buf.readUInt32BE(at),
          refresh: buf.readUInt32BE(at + 4),
          retry: buf.readUInt32BE(at + 8),
          expire: buf.readUInt32BE(at + 12),
          minimum: buf.readUInt32BE(at + 16),
        },
      };
    }
    case TypeCode.SRV: {
      if (end - start < 7) throw new WireFormatError(`SRV RDATA of '${name}' is too short`);
      return {
        name,
        type: 'SRV',
        ttl,
        data: { priority: buf.readUInt16BE(start), weight: buf.readUInt16BE(start + 2), port: buf.readUInt16BE(start + 4), target: nameAt(start + 6) },
      };
    }
    case TypeCode.TXT: {
      const strings: string[] = [];
      for (let pos = start; pos < end; ) {
        const length = buf[pos]!;
        if (pos + 1 + length > end) throw new WireFormatError(`TXT RDATA of '${name}' has a string past its end`);
        strings.push(buf.toString('latin1', pos + 1, pos + 1 + length));
        pos += 1 + length;
      }
      return { name, type: 'TXT', ttl, data: strings };
    }
    case TypeCode.TLSA: {
      if (end - start < 3) throw new WireFormatError(`TLSA RDATA of '${name}' is too short`);
      return {
        name,
        type: 'TLSA',
        ttl,
        data: { usage: buf[start]!, selector: buf[start + 1]!, matchingType: buf[start + 2]!, certificate: new Uint8Array(buf.subarray(start + 3, end)) },
      };
    }
    default:
      return { name, type, ttl, data: new Uint8Array(buf.subarray(start, end)) };
  }
}

/** True when the message's header says it is a response (QR set). */
export function isResponse(flags: number): boolean {
  return (flags & Flag.QR) !== 0;
}
