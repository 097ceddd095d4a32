import type { DnsRecord, ExtendedDnsError } from '@hypermesh/runtime';
import type { EdnsOption, WireQuestion } from './reader.js';
import { EdnsOptionCode, Flag, TypeCode } from './record-types.js';
import { WireOverflow, type WireWriter } from './writer.js';

/** The EDNS part of a response: the OPT record this server adds (RFC 6891 §6.1.1). */
export interface ResponseEdns {
  /** The UDP payload size this server advertises. */
  readonly udpSize: number;
  /** The DO bit, copied from the query (RFC 3225 §3). */
  readonly dnssecOk: boolean;
  /** Options such as Extended DNS Errors. */
  readonly options: readonly EdnsOption[];
}

/** Everything needed to write a response. */
export interface ResponseSpec {
  readonly id: number;
  /** Flag bits other than QR, TC and the RCODE (opcode, AA, RD, RA, AD, CD). */
  readonly flags: number;
  /** The full RCODE (values above 15 need EDNS). */
  readonly rcode: number;
  /** The query message and where its question ends, to echo the question as sent (its case too). */
  readonly query?: { readonly buf: Buffer; readonly questionEnd: number };
  /** The question, when there is no query to copy it from (or its name is compressed). */
  readonly question?: WireQuestion;
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
  /** Present when the query carried EDNS; the response then carries an OPT record. */
  readonly edns: ResponseEdns | undefined;
  /** Octets the response may use: the UDP limit, or 65535 on streams. */
  readonly limit: number;
}

/** The outcome of {@link encodeResponse}. */
export interface EncodedResponse {
  readonly bytes: Buffer;
  /** True when the answer did not fit and TC was set (the client should retry over TCP). */
  readonly truncated: boolean;
  /**
   * Where the record sections lie in `bytes` when every record was written after a question copied
   * as sent: they can be reused after the same question (see server/prepared-answers.ts).
   */
  readonly sections: { readonly start: number; readonly end: number; readonly an: number; readonly ns: number; readonly ar: number } | undefined;
}

const MAX_EDE_TEXT = 200;

/** EDNS options carrying Extended DNS Errors (RFC 8914 §2), EXTRA-TEXT capped at 200 octets. */
export function extendedErrorOptions(errors: readonly ExtendedDnsError[]): EdnsOption[] {
  return errors.map((e) => {
    const text = Buffer.from(e.extraText ?? '', 'utf8').subarray(0, MAX_EDE_TEXT);
    const data = Buffer.allocUnsafe(2 + text.length);
    data.writeUInt16BE(e.infoCode & 0xffff, 0);
    text.copy(data, 2);
    return { code: EdnsOptionCode.ExtendedError, data };
  });
}

function optLength(edns: ResponseEdns | undefined): number {
  if (edns === undefined) return 0;
  let n = 11;
  for (const o of edns.options) n += 4 + o.data.length;
  return n;
}

/** True when a query's question name is written without compression (it can be copied as is). */
export function questionIsPlain(buf: Buffer, questionEnd: number): boolean {
  let end = 12;
  while (end < questionEnd && buf[end] !== 0 && (buf[end]! & 0xc0) === 0) end += buf[end]! + 1;
  return end < questionEnd && buf[end] === 0 && end + 5 === questionEnd;
}

function writeQuestion(w: WireWriter, spec: ResponseSpec): 'copied' | 'written' | 'none' {
  const q = spec.query;
  if (q !== undefined) {
    // copy the question as sent (its case), unless its name was compressed
    if (questionIsPlain(q.buf, q.questionEnd)) {
      w.bytes(q.buf.subarray(12, q.questionEnd));
      if (spec.question !== undefined && spec.question.name.length > 0) w.knowName(spec.question.name, 12);
      return 'copied';
    }
  }
  if (spec.question === undefined) return 'none';
  w.name(spec.question.name, true);
  w.u16(spec.question.type);
  w.u16(spec.question.qclass);
  return 'written';
}

/**
 * Writes a response with name compression. When the answer or authority section does not fit
 * `limit`, the response carries only the question, TC=1 and the OPT record (RFC 2181 §9); records
 * of the additional section that do not fit are left out without TC.
 */
export function encodeResponse(w: WireWriter, spec: ResponseSpec): EncodedResponse {
  w.reset(Math.max(spec.limit, 512));
  const reserve = optLength(spec.edns);
  w.limit -= reserve;
  let flags = Flag.QR | (spec.flags & ~(Flag.QR | Flag.TC | 0xf)) | (spec.rcode & 0xf);
  w.u16(spec.id);
  w.u16(0);
  w.u32(0);
  w.u32(0);
  const question = writeQuestion(w, spec);
  w.patch16(4, question === 'none' ? 0 : 1);
  const afterQuestion = w.pos;
  let an = 0;
  let ns = 0;
  let ar = 0;
  let truncated = false;
  try {
    for (const r of spec.answers) {
      w.record(r);
      an++;
    }
    for (const r of spec.authorities) {
      w.record(r);
      ns++;
    }
  } catch (err) {
    if (!(err instanceof WireOverflow)) throw err;
    w.pos = afterQuestion;
    an = 0;
    ns = 0;
    truncated = true;
    flags |= Flag.TC;
  }
  if (!truncated) {
    for (const r of spec.additionals) {
      const before = w.pos;
      try {
        w.record(r);
        ar++;
      } catch (err) {
        if (!(err instanceof WireOverflow)) throw err;
        w.pos = before;
        break;
      }
    }
  }
  w.limit += reserve;
  const complete = question === 'copied' && !truncated && ar === spec.additionals.length;
  const sections = complete ? { start: afterQuestion, end: w.pos, an, ns, ar } : undefined;
  if (spec.edns !== undefined) {
    w.u8(0);
    w.u16(TypeCode.OPT);
    w.u16(spec.edns.udpSize);
    w.u32((((spec.rcode >> 4) & 0xff) << 24) | (spec.edns.dnssecOk ? 0x8000 : 0));
    const lengthAt = w.pos;
    w.u16(0);
    for (const o of spec.edns.options) {
      w.u16(o.code);
      w.u16(o.data.length);
      w.bytes(o.data);
    }
    w.patch16(lengthAt, w.pos - lengthAt - 2);
    ar++;
  }
  w.patch16(2, flags);
  w.patch16(6, an);
  w.patch16(8, ns);
  w.patch16(10, ar);
  return { bytes: w.finish(), truncated, sections };
}
