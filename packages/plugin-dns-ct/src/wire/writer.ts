import type { DnsRecord, MxData, SoaData, SrvData, TlsaData } from '@hypermesh/runtime';
import { writeIpv4, writeIpv6 } from './addresses.js';
import { WireFormatError, nameLabels } from './names.js';
import { TypeCode, typeCode } from './record-types.js';

/** Thrown when a message would exceed the space it is allowed; the caller truncates. */
export class WireOverflow extends Error {
  constructor() {
    super('message does not fit');
    this.name = 'WireOverflow';
  }
}
const OVERFLOW = new WireOverflow();
/** Names remembered per message for compression; later names are written in full. */
const MAX_TARGETS = 128;

/**
 * Writes DNS messages with name compression (RFC 1035 §4.1.4). One writer is reused for every
 * message of a server; `finish` copies the bytes out.
 */
export class WireWriter {
  readonly buf: Buffer;
  pos = 0;
  /** Bytes this message may use (the UDP size limit, or 65535). */
  limit = 0;
  // Compression targets (presentation suffix → offset), two arrays searched linearly: a message
  // has few names, and resetting them costs nothing, unlike clearing a Map per message.
  private readonly targetNames: string[] = [];
  private readonly targetOffsets: number[] = [];
  private targets = 0;

  constructor(capacity = 65535) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Starts a new message. */
  reset(limit = this.buf.length): void {
    this.pos = 0;
    this.limit = Math.min(limit, this.buf.length);
    this.targets = 0;
  }

  private target(name: string): number {
    for (let i = 0; i < this.targets; i++) if (this.targetNames[i] === name) return this.targetOffsets[i]!;
    return -1;
  }

  private addTarget(name: string, offset: number): void {
    if (offset >= 0x4000 || this.targets >= MAX_TARGETS || this.target(name) >= 0) return;
    this.targetNames[this.targets] = name;
    this.targetOffsets[this.targets++] = offset;
  }

  /** A copy of the bytes written so far. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private room(n: number): void {
    if (this.pos + n > this.limit) throw OVERFLOW;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes 16-bit `value` at `offset` (for back-patching lengths and counts). */
  patch16(offset: number, value: number): void {
    this.buf.writeUInt16BE(value, offset);
  }

  /** Registers a name already present at `offset` (e.g. the question copied from a query). */
  knowName(name: string, offset: number): void {
    const { suffixes } = nameLabels(name);
    let at = offset;
    for (let i = 0; i < suffixes.length; i++) {
      this.addTarget(suffixes[i]!, at);
      at += this.buf[at]! + 1;
    }
  }

  /** Writes a name, compressed against earlier names unless `compress` is false. */
  name(name: string, compress: boolean): void {
    if (name.length === 0) {
      this.u8(0);
      return;
    }
    if (compress) {
      const whole = this.target(name);
      if (whole >= 0) {
        this.u16(0xc000 | whole);
        return;
      }
    }
    const { labels, suffixes } = nameLabels(name);
    for (let i = 0; i < labels.length; i++) {
      if (compress && i > 0) {
        const ptr = this.target(suffixes[i]!);
        if (ptr >= 0) {
          this.u16(0xc000 | ptr);
          return;
        }
      }
      this.addTarget(suffixes[i]!, this.pos);
      const label = labels[i]!;
      this.room(label.length + 1);
      this.buf[this.pos] = label.length;
      this.buf.write(label, this.pos + 1, label.length, 'latin1');
      this.pos += label.length + 1;
    }
    this.u8(0);
  }

  /** Writes a character-string (RFC 1035 §3.3): one length octet, at most 255 octets. */
  characterString(text: string): void {
    // strings read off the wire are latin1 (one char per octet); others may hold any Unicode
    let latin1 = true;
    for (let i = 0; i < text.length && latin1; i++) latin1 = text.charCodeAt(i) <= 0xff;
    const bytes = Buffer.from(text, latin1 ? 'latin1' : 'utf8');
    for (let i = 0; i === 0 || i < bytes.length; i += 255) {
      const chunk = bytes.subarray(i, i + 255);
      this.u8(chunk.length);
      this.bytes(chunk);
    }
  }

  /** Writes a resource record (class IN) with `ttl` in place of the record's own when given. */
  record(rec: DnsRecord, ttl = rec.ttl): void {
    const code = typeCode(rec.type);
    if (code === undefined) throw new WireFormatError(`record type '${rec.type}' of '${rec.name}' has no wire code`);
    this.name(rec.name, true);
    this.u16(code);
    this.u16(1);
    this.u32(Math.max(0, Math.min(ttl, 0x7fffffff)));
    const lengthAt = this.pos;
    this.u16(0);
    this.rdata(code, rec);
    this.patch16(lengthAt, this.pos - lengthAt - 2);
  }

  private rdata(code: number, rec: DnsRecord): void {
    const data = rec.data as unknown;
    if (data instanceof Uint8Array) {
      this.bytes(data);
      return;
    }
    const bad = () => new WireFormatError(`record '${rec.name}' ${rec.type} has data ${JSON.stringify(data)} that does not fit its type`);
    switch (code) {
      case TypeCode.A:
        this.room(4);
        if (typeof data !== 'string' || !writeIpv4(data, this.buf, this.pos)) throw bad();
        this.pos += 4;
        return;
      case TypeCode.AAAA:
        this.room(16);
        if (typeof data !== 'string' || !writeIpv6(data, this.buf, this.pos)) throw bad();
        this.pos += 16;
        return;
      case TypeCode.CNAME:
      case TypeCode.NS:
      case TypeCode.PTR:
        if (typeof data !== 'string') throw bad();
        this.name(data, true);
        return;
      case TypeCode.MX: {
        const mx = data as MxData;
        this.u16(mx.preference);
        this.name(mx.exchange, true);
        return;
      }
      case TypeCode.SOA: {
        const soa = data as SoaData;
        this.name(soa.mname, true);
        this.name(soa.rname, true);
        this.u32(soa.serial);
        this.u32(soa.refresh);
        this.u32(soa.retry);
        this.u32(soa.expire);
        this.u32(soa.minimum);
        return;
      }
      case TypeCode.SRV: {
        const srv = data as SrvData;
        this.u16(srv.priority);
        this.u16(srv.weight);
        this.u16(srv.port);
        this.name(srv.target, false); // RFC 2782: the target is not compressed
        return;
      }
      case TypeCode.TXT:
        if (!Array.isArray(data)) throw bad();
        if (data.length === 0) this.u8(0);
        for (const text of data as string[]) this.characterString(text);
        return;
      case TypeCode.TLSA: {
        const tlsa = data as TlsaData;
        this.u8(tlsa.usage);
        this.u8(tlsa.selector);
        this.u8(tlsa.matchingType);
        this.bytes(tlsa.certificate);
        return;
      }
      default:
        throw bad();
    }
  }
}
