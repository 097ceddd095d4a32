/**
 * Batch bodies: what a PRE-PREPARE orders. A body is the primary's timestamp, the REQUEST envelopes
 * it batched (each still signed by its client node), and the requests the primary's validation
 * refused — the refusal is agreed like everything else, so every replica answers it the same way.
 *
 *     version 1 | timestamp f64 | n u32 | (len u32 | envelope)×n | r u32 | (bundle u32 | index u32 | code u8-len | message u16-len)×r
 */
import { createHash } from 'node:crypto';
import type { Digest } from './types.js';

/** A request the primary refused, by position in the batch. */
export interface Rejection {
  /** Index of the REQUEST envelope in the batch. */
  readonly bundle: number;
  /** Index of the request within that envelope. */
  readonly index: number;
  /** `E_CONSENSUS_INVALID` or `E_CONSENSUS_NAMESPACE`. */
  readonly code: string;
  readonly message: string;
}

/** A decoded batch body. */
export interface BatchBody {
  /** The primary's clock when it cut the batch (ms); agreed, so state machines may use it. */
  readonly timestamp: number;
  /** REQUEST envelopes, as their clients signed them. */
  readonly bundles: readonly Uint8Array[];
  readonly rejections: readonly Rejection[];
}

/** SHA-256 of bytes, lower-case hex. */
export function sha256(bytes: Uint8Array): Digest {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Encodes a batch body. */
export function encodeBatch(body: BatchBody): Uint8Array {
  const texts = body.rejections.map((r) => ({ r, code: Buffer.from(r.code.slice(0, 255), 'utf8').subarray(0, 255), message: Buffer.from(r.message, 'utf8').subarray(0, 65_535) }));
  let size = 1 + 8 + 4 + 4;
  for (const b of body.bundles) size += 4 + b.byteLength;
  for (const t of texts) size += 4 + 4 + 1 + t.code.byteLength + 2 + t.message.byteLength;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  out[o++] = 1;
  out.writeDoubleBE(body.timestamp, o);
  o += 8;
  out.writeUInt32BE(body.bundles.length, o);
  o += 4;
  for (const b of body.bundles) {
    out.writeUInt32BE(b.byteLength, o);
    o += 4;
    out.set(b, o);
    o += b.byteLength;
  }
  out.writeUInt32BE(texts.length, o);
  o += 4;
  for (const { r, code, message } of texts) {
    out.writeUInt32BE(r.bundle, o);
    out.writeUInt32BE(r.index, o + 4);
    out[o + 8] = code.byteLength;
    o += 9;
    out.set(code, o);
    o += code.byteLength;
    out.writeUInt16BE(message.byteLength, o);
    o += 2;
    out.set(message, o);
    o += message.byteLength;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes a batch body, or says why it is malformed. */
export function decodeBatch(bytes: Uint8Array): BatchBody | string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const short = (o: number, n: number) => o + n > b.byteLength;
  if (short(0, 13) || b[0] !== 1) return 'batch body has no version-1 header';
  const timestamp = b.readDoubleBE(1);
  if (!Number.isFinite(timestamp)) return 'batch timestamp is not a finite number';
  const count = b.readUInt32BE(9);
  let o = 13;
  const bundles: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (short(o, 4)) return `batch body ends inside request ${i}`;
    const len = b.readUInt32BE(o);
    o += 4;
    if (short(o, len)) return `batch request ${i} runs past the end of the body`;
    bundles.push(bytes.subarray(o, o + len));
    o += len;
  }
  if (short(o, 4)) return 'batch body has no rejection count';
  const rejectCount = b.readUInt32BE(o);
  o += 4;
  const rejections: Rejection[] = [];
  for (let i = 0; i < rejectCount; i++) {
    if (short(o, 9)) return `batch body ends inside rejection ${i}`;
    const bundle = b.readUInt32BE(o);
    const index = b.readUInt32BE(o + 4);
    const codeLen = b[o + 8]!;
    o += 9;
    if (short(o, codeLen + 2)) return `batch rejection ${i} runs past the end of the body`;
    const code = b.toString('utf8', o, o + codeLen);
    o += codeLen;
    const msgLen = b.readUInt16BE(o);
    o += 2;
    if (short(o, msgLen)) return `batch rejection ${i} runs past the end of the body`;
    const message = b.toString('utf8', o, o + msgLen);
    o += msgLen;
    if (bundle >= count) return `batch rejection ${i} names request envelope ${bundle} of ${count}`;
    rejections.push({ bundle, index, code, message });
  }
  if (o !== b.byteLength) return `batch body has ${b.byteLength - o} trailing bytes`;
  return { timestamp, bundles, rejections };
}

/** The null request's body: ordered by a new primary where no request prepared (§4.4). */
export const NULL_BATCH: Uint8Array = encodeBatch({ timestamp: 0, bundles: [], rejections: [] });
/** Digest of {@link NULL_BATCH}. */
export const NULL_DIGEST: Digest = sha256(NULL_BATCH);
