import type { LogLine } from '@hypermesh/runtime';

/**
 * The last lines a workload wrote, bounded by count and by bytes (a chatty workload cannot grow a
 * node's memory): when either bound is passed, the oldest lines go.
 */
export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private bytes = 0;
  /** Lines dropped so far to stay within the bounds. */
  dropped = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number = maxLines * 512,
  ) {}

  /** Appends a line. */
  push(line: LogLine): void {
    this.lines.push(line);
    this.bytes += line.text.length;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= this.lines.shift()!.text.length;
      this.dropped++;
    }
  }

  /** The last `tail` lines (all by default), oldest first. */
  tail(tail?: number): LogLine[] {
    return tail === undefined || tail >= this.lines.length ? [...this.lines] : this.lines.slice(this.lines.length - Math.max(0, tail));
  }
}
