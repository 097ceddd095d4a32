/**
 * A bounded FIFO of encoded frames towards one peer, bounded by count and by bytes. `push`
 * refuses when either bound would be exceeded; that refusal is the transport's back-pressure.
 */
export class SendQueue {
  private items: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Messages waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Appends a frame; `false` (and nothing queued) when a bound would be exceeded. */
  push(frame: Buffer): boolean {
    if (this.length >= this.maxMessages || this.queuedBytes + frame.byteLength > this.maxBytes) return false;
    this.items.push(frame);
    this.queuedBytes += frame.byteLength;
    return true;
  }

  /** The size of the oldest frame, without removing it. */
  peekBytes(): number | undefined {
    return this.items[this.head]?.byteLength;
  }

  /** Removes and returns the oldest frame. */
  shift(): Buffer | undefined {
    if (this.head >= this.items.length) return undefined;
    const frame = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Buffer;
    this.queuedBytes -= frame.byteLength;
    // compact once the consumed prefix dominates, so shift stays O(1) amortised
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Empties the queue and returns how many frames it held. */
  clear(): number {
    const dropped = this.length;
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
    return dropped;
  }
}
