// Length-prefixed frames for the raw-TLS peer of the transport benchmark:
// 4-byte big-endian payload length, 1 byte channel (0 load, 1 ping, 2 pong), payload.

/** Encodes one frame. */
export function frame(channel: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 0);
  out[4] = channel;
  out.set(payload, 5);
  return out;
}

/** Splits a byte stream into frames. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (channel: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(0);
      if (this.buffer.length < 5 + length) break;
      this.onFrame(this.buffer[4]!, this.buffer.subarray(5, 5 + length));
      this.buffer = this.buffer.subarray(5 + length);
    }
  }
}
