/**
 * The on-disk record format of the replica log:
 *
 *     length u32 BE | CRC-32 u32 BE (of kind + payload) | kind u8 | payload
 *     payload = header length u32 BE | header (JSON) | blob
 *
 * A record whose length runs past the end of the file or whose CRC does not match ends the log
 * there (a torn write from a crash); the file is truncated to the last good record.
 */
import { crc32 } from 'node:zlib';
import { fromBase64, toBase64 } from '../messages/envelope.js';
import type { LogRecord } from './storage.js';

const KIND = { view: 1, prepared: 2, committed: 3, checkpoint: 4 } as const;
const FRAME = 9;

function frame(kind: number, header: unknown, blob: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(FRAME + 4 + head.byteLength + blob.byteLength);
  out.writeUInt32BE(1 + 4 + head.byteLength + blob.byteLength, 0);
  out[8] = kind;
  out.writeUInt32BE(head.byteLength, 9);
  out.set(head, 13);
  out.set(blob, 13 + head.byteLength);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

/** Encodes one record. */
export function encodeRecord(record: LogRecord): Buffer {
  switch (record.kind) {
    case 'view':
      return frame(KIND.view, { view: record.view });
    case 'prepared': {
      const r = record.record;
      return frame(KIND.prepared, { seq: r.seq, view: r.view, digest: r.digest, prePrepare: toBase64(r.prePrepare), prepares: r.prepares.map(toBase64) });
    }
    case 'committed': {
      const r = record.record;
      return frame(KIND.committed, { seq: r.seq, view: r.view, digest: r.digest, commits: r.commits.map(toBase64) }, r.batch);
    }
    case 'checkpoint': {
      const r = record.record;
      return frame(KIND.checkpoint, { seq: r.seq, digest: r.digest, proof: r.proof.map(toBase64) }, r.snapshot);
    }
  }
}

/** Decodes records from a file's bytes; `validBytes` is where the last good record ends. */
export function decodeRecords(bytes: Buffer): { records: LogRecord[]; validBytes: number; problem: string | undefined } {
  const records: LogRecord[] = [];
  let o = 0;
  while (o < bytes.byteLength) {
    if (o + FRAME > bytes.byteLength) return { records, validBytes: o, problem: `a record header is cut short at byte ${o}` };
    const length = bytes.readUInt32BE(o);
    const end = o + 8 + length;
    if (length < 5 || end > bytes.byteLength) return { records, validBytes: o, problem: `the record at byte ${o} runs past the end of the file` };
    if (crc32(bytes.subarray(o + 8, end)) !== bytes.readUInt32BE(o + 4)) return { records, validBytes: o, problem: `the record at byte ${o} fails its CRC-32` };
    const kind = bytes[o + 8];
    const headLength = bytes.readUInt32BE(o + 9);
    if (13 + headLength > 8 + length) return { records, validBytes: o, problem: `the record at byte ${o} has a header longer than itself` };
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(bytes.toString('utf8', o + 13, o + 13 + headLength));
    } catch {
      return { records, validBytes: o, problem: `the record at byte ${o} has a header that is not JSON` };
    }
    const blob = new Uint8Array(bytes.subarray(o + 13 + headLength, end));
    const h = header as { seq: number; view: number; digest: string; prePrepare: string; prepares: string[]; commits: string[]; proof: string[] };
    if (kind === KIND.view) records.push({ kind: 'view', view: h.view });
    else if (kind === KIND.prepared) {
      records.push({ kind: 'prepared', record: { seq: h.seq, view: h.view, digest: h.digest, prePrepare: fromBase64(h.prePrepare), prepares: h.prepares.map(fromBase64) } });
    } else if (kind === KIND.committed) {
      records.push({ kind: 'committed', record: { seq: h.seq, view: h.view, digest: h.digest, batch: blob, commits: h.commits.map(fromBase64) } });
    } else if (kind === KIND.checkpoint) {
      records.push({ kind: 'checkpoint', record: { seq: h.seq, digest: h.digest, snapshot: blob, proof: h.proof.map(fromBase64) } });
    } else return { records, validBytes: o, problem: `the record at byte ${o} has unknown kind ${kind}` };
    o = end;
  }
  return { records, validBytes: o, problem: undefined };
}
