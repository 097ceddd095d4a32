import { WireFormatError, nameCursor, readName } from './names.js';
import { readOpt, readRecordHeader, type EdnsInfo, type WireQuestion } from './reader.js';
import { Flag, Opcode, TypeCode } from './record-types.js';
import type { WireWriter } from './writer.js';

/** A query that parsed: what the server needs to answer it. */
export interface ParsedQuery {
  readonly id: number;
  readonly flags: number;
  readonly opcode: number;
  readonly question: WireQuestion;
  /** Offset just after the question: `buf.subarray(12, questionEnd)` is the question as sent. */
  readonly questionEnd: number;
  readonly edns: EdnsInfo | undefined;
}

/** How to answer a query that did not parse. */
export type QueryRejection = 'drop' | 'FORMERR' | 'NOTIMP' | 'BADVERS';

/** The outcome of {@link parseQuery}. */
export type QueryParse =
  | { readonly ok: true; readonly query: ParsedQuery }
  | {
      readonly ok: false;
      readonly reply: QueryRejection;
      /** Why, for the malformed-input metric and log. */
      readonly reason: string;
      readonly id: number;
      readonly flags: number;
      /** Present when the question parsed (NOTIMP, BADVERS, some FORMERR). */
      readonly query?: ParsedQuery;
    };

const cursor = nameCursor();

/**
 * Parses a query at the edge. Never throws: anything malformed becomes a rejection saying how to
 * answer — `drop` when there is no header to answer or the message is a response (no reflection
 * loops), FORMERR for bad structure (RFC 1035 §4.1.1), NOTIMP for opcodes other than QUERY,
 * BADVERS for an EDNS version above 0 (RFC 6891 §6.1.3).
 */
export function parseQuery(buf: Buffer): QueryParse {
  if (buf.length < 12) return { ok: false, reply: 'drop', reason: 'shorter than a header', id: 0, flags: 0 };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if ((flags & Flag.QR) !== 0) return { ok: false, reply: 'drop', reason: 'a response sent as a query', id, flags };
  const opcode = (flags >> 11) & 0xf;
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  if (opcode !== Opcode.QUERY) return { ok: false, reply: 'NOTIMP', reason: `opcode ${opcode} is not implemented`, id, flags };
  if (qdcount !== 1) return { ok: false, reply: 'FORMERR', reason: `QDCOUNT is ${qdcount}, not 1`, id, flags };
  if (ancount !== 0 || nscount !== 0) return { ok: false, reply: 'FORMERR', reason: 'a query with answer or authority records', id, flags };
  let question: WireQuestion;
  let pos: number;
  try {
    readName(buf, 12, buf.length, cursor);
    pos = cursor.next;
    if (pos + 4 > buf.length) throw new WireFormatError('question runs past the end of the message');
    question = { name: cursor.name, type: buf.readUInt16BE(pos), qclass: buf.readUInt16BE(pos + 2) };
    pos += 4;
  } catch (err) {
    return { ok: false, reply: 'FORMERR', reason: (err as WireFormatError).reason ?? String(err), id, flags };
  }
  const questionEnd = pos;
  let edns: EdnsInfo | undefined;
  try {
    for (let i = 0; i < arcount; i++) {
      const { owner, type, rclass, ttl, start, end } = readRecordHeader(buf, pos, cursor);
      if (type === TypeCode.OPT) {
        if (edns !== undefined) throw new WireFormatError('more than one OPT record');
        if (owner !== '') throw new WireFormatError('OPT record with a name other than the root');
        edns = readOpt(buf, rclass, ttl, start, end);
      }
      pos = end;
    }
    if (pos !== buf.length) throw new WireFormatError(`${buf.length - pos} octets after the last record`);
  } catch (err) {
    const query: ParsedQuery = { id, flags, opcode, question, questionEnd, edns: undefined };
    return { ok: false, reply: 'FORMERR', reason: (err as WireFormatError).reason ?? String(err), id, flags, query };
  }
  const query: ParsedQuery = { id, flags, opcode, question, questionEnd, edns };
  if (question.type === TypeCode.OPT) return { ok: false, reply: 'FORMERR', reason: 'question for type OPT', id, flags, query };
  if (edns !== undefined && edns.version > 0) {
    return { ok: false, reply: 'BADVERS', reason: `EDNS version ${edns.version} is not supported`, id, flags, query };
  }
  return { ok: true, query };
}

/** Options of {@link encodeQuery}. */
export interface QueryOptions {
  /** Recursion desired (RD). */
  readonly recursionDesired: boolean;
  /** Checking disabled (CD), passed on from the client. */
  readonly checkingDisabled?: boolean;
  /** The UDP payload size to advertise in an OPT record; no OPT record when undefined. */
  readonly udpSize?: number;
}

/** Writes a query for `question` with message id `id` (for forwarding upstream). */
export function encodeQuery(w: WireWriter, id: number, question: WireQuestion, options: QueryOptions): Buffer {
  w.reset();
  w.u16(id);
  w.u16((options.recursionDesired ? Flag.RD : 0) | (options.checkingDisabled ? Flag.CD : 0));
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(options.udpSize === undefined ? 0 : 1);
  w.name(question.name, false);
  w.u16(question.type);
  w.u16(question.qclass);
  if (options.udpSize !== undefined) {
    w.u8(0);
    w.u16(TypeCode.OPT);
    w.u16(options.udpSize);
    w.u32(0);
    w.u16(0);
  }
  return w.finish();
}
