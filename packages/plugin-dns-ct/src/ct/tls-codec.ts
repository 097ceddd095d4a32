/**
 * The TLS presentation language encoding CT structures use (RFC 5246 §4, RFC 6962 §3): big-endian
 * integers and vectors prefixed by their byte length.
 */

/** Thrown for bytes that do not decode; callers turn it into their own error or verdict. */
export class TlsDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsDecodeError';
  }
}

/** Reads TLS-encoded fields from a buffer, front to back. */
export class TlsReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** An unsigned integer of `size` bytes (1–8; above 2^53 loses precision, which CT never reaches). */
  uint(size: number): number {
    this.need(size);
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.bytes[this.offset + i]!;
    this.offset += size;
    return value;
  }

  /** `size` raw bytes (a view). */
  fixed(size: number): Uint8Array {
    this.need(size);
    const out = this.bytes.subarray(this.offset, this.offset + size);
    this.offset += size;
    return out;
  }

  /** A vector whose length prefix has `lengthSize` bytes. */
  vector(lengthSize: number): Uint8Array {
    return this.fixed(this.uint(lengthSize));
  }

  /** Fails unless every byte was read. */
  end(what: string): void {
    if (this.remaining !== 0) throw new TlsDecodeError(`${this.remaining} trailing bytes after ${what}`);
  }

  private need(size: number): void {
    if (this.offset + size > this.bytes.length) {
      throw new TlsDecodeError(`truncated: needed ${size} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
  }
}

/** Builds a TLS-encoded structure. */
export class TlsWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  /** Appends an unsigned integer of `size` bytes. */
  uint(value: number, size: number): this {
    const out = new Uint8Array(size);
    let v = value;
    for (let i = size - 1; i >= 0; i--) {
      out[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return this.fixed(out);
  }

  /** Appends raw bytes. */
  fixed(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /** Appends a vector with a `lengthSize`-byte length prefix. */
  vector(bytes: Uint8Array, lengthSize: number): this {
    if (bytes.length >= 2 ** (8 * lengthSize)) throw new TlsDecodeError(`vector of ${bytes.length} bytes does not fit a ${lengthSize}-byte length`);
    return this.uint(bytes.length, lengthSize).fixed(bytes);
  }

  /** The encoded bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
