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
 * `kind` is 1 (a data message); other values are reserved and refused as malformed, so a future
 * kind is never mistaken for data. gRPC already delimits messages, so no length field is needed.
 */

/** The only frame kind so far: a message for subscribers of a channel. */
export const FRAME_KIND_DATA = 1;

/** The longest channel name, in UTF-8 bytes. */
export const MAX_CHANNEL_BYTES = 255;

/** The most bytes a frame adds around its payload. */
export const MAX_FRAME_OVERHEAD = 2 + MAX_CHANNEL_BYTES;

/** Why a received frame was dropped. */
export type FrameProblem = 'empty' | 'unknown-kind' | 'truncated' | 'bad-channel';

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
