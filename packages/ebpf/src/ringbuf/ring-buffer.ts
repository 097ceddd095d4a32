/**
 * A BPF ring buffer read from JavaScript without blocking the event loop: the ring is mmapped,
 * records are read straight from shared memory with Atomics on the producer/consumer positions
 * (no syscall per record), and libuv watches the map's fd for the kernel's wake-ups. The layout
 * follows kernel/bpf/ringbuf.c: a consumer page, then a producer page, then the data area mapped
 * twice in a row so that a record wrapping around the end is contiguous.
 */
import { EbpfError, EbpfErrorCode, describeErrno } from '../errors.js';
import { MAP_FAILED, type Pointer } from '../native/koffi.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import type { RawBpfMap } from '../maps/raw-map.js';

/** Decodes one record: `view` spans the data area, the record is `length` bytes at `offset`. */
export type RecordDecoder<T> = (view: DataView, offset: number, length: number) => T | undefined;

/** Options of {@link RingBufferReader}. */
export interface RingBufferReaderOptions<T> {
  /** Turns a record into a value (the bytes are only valid during the call); `undefined` skips it. */
  readonly decode: RecordDecoder<T>;
  /**
   * Decoded records held for the consumer before the reader stops reading the ring (default 4096).
   * While it is stopped the kernel's ring fills up and the producer counts what it cannot write.
   */
  readonly highWaterMark?: number;
  /** Records read per event-loop turn before yielding to other work (default 512). */
  readonly batchSize?: number;
}

/** Counters of a {@link RingBufferReader}. */
export interface RingBufferStats {
  /** Records read from the ring. */
  readonly received: number;
  /** Records skipped by the decoder or discarded by the producer. */
  readonly skipped: number;
  /** Decoded records waiting for the consumer. */
  readonly pending: number;
  /** Times reading stopped because the consumer was behind (back-pressure). */
  readonly pauses: number;
  /** True while reading is stopped for back-pressure. */
  readonly paused: boolean;
}

const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HEADER_LEN = 8;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const SC_PAGESIZE = 30;
const SAFETY_POLL_MS = 200;

interface PollHandle {
  start(opts: { readable: boolean }, cb: (status: number) => void): void;
  stop(): void;
  close(): void;
  ref(): void;
  unref(): void;
}

/**
 * Reads a `BPF_MAP_TYPE_RINGBUF` map as an async iterator of decoded records, with back-pressure:
 * when more than `highWaterMark` records wait for the consumer, the reader stops draining the
 * ring until the consumer catches up, so the kernel side (which should count failed
 * `bpf_ringbuf_reserve` calls as lost events) absorbs the overload instead of this process's memory.
 *
 * ```ts
 * import { BpfObject, RingBufferReader } from '@hypermesh/ebpf';
 *
 * const obj = BpfObject.open('events.bpf.o').load();
 * const reader = new RingBufferReader(obj.map('events'), { decode: (view, offset) => view.getUint32(offset, true) });
 * for await (const kind of reader) console.log(kind);
 * ```
 */
export class RingBufferReader<T> implements AsyncIterable<T> {
  readonly #lib: Libbpf;
  readonly #decode: RecordDecoder<T>;
  readonly #highWaterMark: number;
  readonly #batchSize: number;
  readonly #page: number;
  readonly #mask: number;
  readonly #consumer: Pointer;
  readonly #producer: Pointer;
  readonly #producerLength: number;
  readonly #consumerPos: BigUint64Array;
  readonly #producerPos: BigUint64Array;
  readonly #headers: Int32Array;
  readonly #data: DataView;
  readonly #poll: PollHandle;
  readonly #timer: NodeJS.Timeout;
  readonly #queue: T[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #iterating = false;
  #pumpScheduled = false;
  #polling = false;
  #closed = false;
  #received = 0;
  #skipped = 0;
  #pauses = 0;
  #paused = false;

  constructor(map: RawBpfMap, options: RingBufferReaderOptions<T>) {
    if (map.info.type !== 'ringbuf') throw new EbpfError(EbpfErrorCode.Map, `map '${map.info.name}' is ${map.info.type}, not a ringbuf`);
    this.#lib = libbpf();
    const lib = this.#lib;
    this.#decode = options.decode;
    this.#highWaterMark = options.highWaterMark ?? 4096;
    this.#batchSize = options.batchSize ?? 512;
    const size = map.info.maxEntries;
    this.#page = lib.sysconf(SC_PAGESIZE);
    this.#mask = size - 1;
    const fd = map.fd;
    this.#consumer = lib.mmap(null, this.#page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (this.#consumer === MAP_FAILED) throw this.#mmapError(map, 'consumer page');
    this.#producerLength = this.#page + 2 * size;
    this.#producer = lib.mmap(null, this.#producerLength, PROT_READ, MAP_SHARED, fd, this.#page);
    if (this.#producer === MAP_FAILED) {
      lib.munmap(this.#consumer, this.#page);
      throw this.#mmapError(map, 'producer pages');
    }
    this.#consumerPos = new BigUint64Array(lib.koffi.view(this.#consumer, 8));
    const producer = lib.koffi.view(this.#producer, this.#producerLength);
    this.#producerPos = new BigUint64Array(producer, 0, 1);
    this.#headers = new Int32Array(producer, this.#page, (2 * size) / 4);
    this.#data = new DataView(producer, this.#page, 2 * size);
    const koffi = lib.koffi as unknown as { node: { poll(fd: number, opts: { readable: boolean }, cb: (status: number) => void): PollHandle } };
    this.#poll = koffi.node.poll(fd, { readable: true }, () => this.#onReadable());
    this.#polling = true;
    this.#poll.unref();
    // The kernel wakes readers only when they had caught up; this timer covers any missed wake-up.
    this.#timer = setInterval(() => this.#schedulePump(), SAFETY_POLL_MS);
    this.#timer.unref();
  }

  /** Counters of this reader. */
  stats(): RingBufferStats {
    return { received: this.#received, skipped: this.#skipped, pending: this.#pending(), pauses: this.#pauses, paused: this.#paused };
  }

  /** Bytes the producer has written that this reader has not consumed yet. */
  get unreadBytes(): number {
    if (this.#closed) return 0;
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /**
   * Reads up to `max` records now, synchronously, bypassing the queue — for callers that poll on
   * their own schedule instead of iterating. Do not mix with iteration.
   */
  read(max = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    this.#drain(max, (v) => out.push(v));
    return out;
  }

  /** One consumer at a time; the iterator ends when the reader is closed. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new EbpfError(EbpfErrorCode.Map, 'this ring buffer already has a consumer: fan out from one iterator instead');
    this.#iterating = true;
    this.#poll.ref(); // an iterating consumer keeps the process alive, like a socket
    this.#schedulePump();
    return {
      next: () => {
        if (this.#pending() > 0) {
          const value = this.#shift();
          return Promise.resolve({ value, done: false });
        }
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiter = resolve;
        });
      },
      return: () => {
        this.#iterating = false;
        if (!this.#closed) this.#poll.unref();
        this.#waiter = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Stops reading, unmaps the ring and ends the iterator. Close it before its object. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#poll.close();
    this.#lib.munmap(this.#producer, this.#producerLength);
    this.#lib.munmap(this.#consumer, this.#page);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  #pending(): number {
    return this.#queue.length - this.#head;
  }

  #shift(): T {
    const value = this.#queue[this.#head] as T;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#paused && this.#pending() <= this.#highWaterMark / 2) {
      this.#paused = false;
      this.#schedulePump();
    }
    return value;
  }

  #onReadable(): void {
    // Stop watching until this batch is read: the fd stays readable while data is unread.
    this.#poll.stop();
    this.#polling = false;
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed || !this.#iterating) return;
    this.#pumpScheduled = true;
    setImmediate(() => this.#pump());
  }

  #pump(): void {
    this.#pumpScheduled = false;
    if (this.#closed || !this.#iterating) return;
    const room = this.#highWaterMark - this.#pending();
    if (room <= 0) {
      if (!this.#paused) this.#pauses++;
      this.#paused = true;
      return;
    }
    this.#drain(Math.min(room, this.#batchSize), (value) => {
      const waiter = this.#waiter;
      if (waiter) {
        this.#waiter = undefined;
        waiter({ value, done: false });
      } else {
        this.#queue.push(value);
      }
    });
    if (this.unreadBytes > 0) {
      this.#schedulePump();
    } else if (!this.#polling) {
      this.#polling = true;
      this.#poll.start({ readable: true }, () => this.#onReadable());
    }
  }

  #drain(max: number, deliver: (value: T) => void): void {
    if (this.#closed) return;
    let consumed = Atomics.load(this.#consumerPos, 0);
    const produced = Atomics.load(this.#producerPos, 0);
    let cons = Number(consumed);
    const prod = Number(produced);
    let n = 0;
    while (cons < prod && n < max) {
      const offset = cons & this.#mask;
      const header = Atomics.load(this.#headers, offset >> 2) >>> 0;
      if (header & BUSY_BIT) break; // reserved but not yet submitted
      const length = header & ~(BUSY_BIT | DISCARD_BIT);
      cons += Math.ceil((length + HEADER_LEN) / 8) * 8;
      this.#received++;
      n++;
      const value = header & DISCARD_BIT ? undefined : this.#safeDecode(offset + HEADER_LEN, length);
      if (value === undefined) this.#skipped++;
      else deliver(value);
    }
    consumed = BigInt(cons);
    Atomics.store(this.#consumerPos, 0, consumed);
  }

  /** The ring is written by a BPF program: a record the decoder cannot take is skipped, never thrown. */
  #safeDecode(offset: number, length: number): T | undefined {
    try {
      return this.#decode(this.#data, offset, length);
    } catch {
      return undefined;
    }
  }

  #mmapError(map: RawBpfMap, what: string): EbpfError {
    const errno = this.#lib.koffi.errno();
    return new EbpfError(EbpfErrorCode.Map, `could not mmap the ${what} of ring buffer '${map.info.name}'${describeErrno(errno)}`, { errno });
  }
}
