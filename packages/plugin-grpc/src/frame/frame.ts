/**
 * The bytes of one transport message inside one gRPC message:
 *
 * ```text
 * +------+---------+---------------------+-----------------+
 * | kind | chanLen | channel (UTF-8)     | payload         |
 * | 1 B  | 1 B     | chanLen bytes, 1-255| the rest        |
 * +------+---------+---------------------+-----------------+
 * ```
 *
 * `kind` is 1 (a data message) or 2 (a batch: several data frames in one gRPC message, each
 * preceded by its 4-byte big-endian length — a sender that has a backlog coalesces it, because
 * each gRPC message costs far more than its bytes). Other kinds are refused as malformed, so a
 * future kind is never mistaken for data. gRPC delimits messages, so a lone frame needs no length.
 */

/** The only frame kind so far: a message for subscribers of a channel. */
export const FRAME_KIND_DATA = 1;

/** A batch of data frames. */
export const FRAME_KIND_BATCH = 2;

/** The longest channel name, in UTF-8 bytes. */
export const MAX_CHANNEL_BYTES = 255;

/** The most bytes a frame adds around its payload. */
export const MAX_FRAME_OVERHEAD = 2 + MAX_CHANNEL_BYTES;

/** Why a received frame was dropped. */
export type FrameProblem = 'empty' | 'unknown-kind' | 'truncated' | 'bad-channel' | 'bad-batch';

/** A decoded frame, or the reason it is malformed. */
export type DecodedFrame =
  | { readonly ok: true; readonly channel: string; readonly payload: Uint8Array }
  | { readonly ok: false; readonly problem: FrameProblem };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The UTF-8 bytes of `channel`, or `undefined` when it is empty or longer than 255 bytes. */
export function channelBytes(channel: string): Buffer | undefined {
  if (typeof channel !== 'string' || channel.length === 0) return undefined;
  const bytes = Buffer.from(channel, 'utf8');
  return bytes.byteLength <= MAX_CHANNEL_BYTES ? bytes : undefined;
}

/** Encodes a data frame; the payload is copied, so the caller may reuse its buffer. */
export function encodeFrame(channel: Buffer, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(2 + channel.byteLength + payload.byteLength);
  frame[0] = FRAME_KIND_DATA;
  frame[1] = channel.byteLength;
  channel.copy(frame, 2);
  frame.set(payload, 2 + channel.byteLength);
  return frame;
}

/** Decodes a frame received from a peer. Never throws: bad bytes come back as a problem. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  if (frame.byteLength === 0) return { ok: false, problem: 'empty' };
  if (frame[0] !== FRAME_KIND_DATA) return { ok: false, problem: 'unknown-kind' };
  if (frame.byteLength < 2) return { ok: false, problem: 'truncated' };
  const length = frame[1]!;
  if (length === 0) return { ok: false, problem: 'bad-channel' };
  if (frame.byteLength < 2 + length) return { ok: false, problem: 'truncated' };
  let channel: string;
  try {
    channel = utf8.decode(frame.subarray(2, 2 + length));
  } catch {
    return { ok: false, problem: 'bad-channel' };
  }
  // a plain Uint8Array view (no copy), as the in-memory network delivers, not a Buffer
  const start = frame.byteOffset + 2 + length;
  return { ok: true, channel, payload: new Uint8Array(frame.buffer, start, frame.byteLength - 2 - length) };
}

/** Packs frames into one batch frame (see the layout above). */
export function encodeBatch(frames: readonly Buffer[]): Buffer {
  let size = 1;
  for (const f of frames) size += 4 + f.byteLength;
  const batch = Buffer.allocUnsafe(size);
  batch[0] = FRAME_KIND_BATCH;
  let at = 1;
  for (const f of frames) {
    batch.writeUInt32BE(f.byteLength, at);
    f.copy(batch, at + 4);
    at += 4 + f.byteLength;
  }
  return batch;
}

/** True when a received frame is a batch. */
export function isBatch(frame: Uint8Array): boolean {
  return frame.byteLength > 0 && frame[0] === FRAME_KIND_BATCH;
}

/**
 * Splits a batch into its frames, calling `onFrame` for each. Returns `false` when the batch is
 * malformed (a length running past the end); frames before the fault were already delivered.
 */
export function splitBatch(batch: Buffer, onFrame: (frame: Buffer) => void): boolean {
  let at = 1;
  while (at < batch.byteLength) {
    if (at + 4 > batch.byteLength) return false;
    const length = batch.readUInt32BE(at);
    if (at + 4 + length > batch.byteLength) return false;
    onFrame(batch.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return true;
}
