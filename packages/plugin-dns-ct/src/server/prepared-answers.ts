import type { DnsResolution } from '@hypermesh/runtime';
import type { ParsedQuery } from '../wire/query.js';
import { Flag, TypeCode } from '../wire/record-types.js';
import { questionIsPlain, type EncodedResponse } from '../wire/response.js';

/** A cached answer's record sections as they are on the wire after its question. */
interface PreparedSections {
  /** Length of the question they follow (compression pointers point into it). */
  readonly questionLength: number;
  readonly bytes: Buffer;
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
}

/**
 * The fast path for hot cache hits and zone answers. The cache hands out the same resolution
 * object for an entry during each second of its life (its TTLs change once a second), the zone
 * stage the same object until the zone changes, so the record sections written for it the first
 * time are kept — in a WeakMap, gone with the object — and the next answers
 * are the query's header and question plus those bytes: no name compression, no record encoding,
 * one buffer. Pointers in the sections stay valid because the question has the same length (it is
 * the same name, in whatever case the client used).
 */
export class PreparedAnswers {
  private readonly prepared = new WeakMap<DnsResolution, PreparedSections>();
  /** Answers written from prepared sections. */
  hits = 0;

  /** Keeps the sections of `encoded`, written for `resolution` after `query`'s question. */
  remember(resolution: DnsResolution, query: ParsedQuery, encoded: EncodedResponse): void {
    const s = encoded.sections;
    if (s === undefined || (resolution.source !== 'cache' && resolution.source !== 'zone') || resolution.extendedErrors.length > 0) return;
    this.prepared.set(resolution, { questionLength: query.questionEnd - 12, bytes: Buffer.from(encoded.bytes.subarray(s.start, s.end)), an: s.an, ns: s.ns, ar: s.ar });
  }

  /**
   * The answer from prepared sections, or undefined when there are none for `resolution` or they
   * do not fit: then the caller encodes the general way.
   */
  write(resolution: DnsResolution, query: ParsedQuery, message: Buffer, flags: number, rcode: number, edns: { udpSize: number; dnssecOk: boolean } | undefined, limit: number): Buffer | undefined {
    const p = this.prepared.get(resolution);
    if (p === undefined || p.questionLength !== query.questionEnd - 12 || !questionIsPlain(message, query.questionEnd)) return undefined;
    const optAt = 12 + p.questionLength + p.bytes.length;
    const total = optAt + (edns === undefined ? 0 : 11);
    if (total > limit || rcode > 15) return undefined;
    const out = Buffer.allocUnsafe(total);
    out.writeUInt16BE(query.id, 0);
    out.writeUInt16BE(Flag.QR | (flags & ~(Flag.QR | Flag.TC | 0xf)) | rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(p.an, 6);
    out.writeUInt16BE(p.ns, 8);
    out.writeUInt16BE(p.ar + (edns === undefined ? 0 : 1), 10);
    message.copy(out, 12, 12, query.questionEnd);
    p.bytes.copy(out, 12 + p.questionLength);
    if (edns !== undefined) {
      // OPT (RFC 6891 §6.1.2): root name, type, UDP size, extended RCODE 0, version 0, DO, no options
      out[optAt] = 0;
      out.writeUInt16BE(TypeCode.OPT, optAt + 1);
      out.writeUInt16BE(edns.udpSize, optAt + 3);
      out.writeUInt32BE(edns.dnssecOk ? 0x8000 : 0, optAt + 5);
      out.writeUInt16BE(0, optAt + 9);
    }
    this.hits++;
    return out;
  }
}
