/**
 * Fans datapath events out to every `events()` iterator. Each subscriber has its own bounded
 * queue: a subscriber that falls behind loses its oldest-pending overflow (counted), and never
 * slows the others or the ring buffer.
 */
import type { DatapathEvent } from '@hypermesh/runtime';

interface Subscriber {
  readonly queue: DatapathEvent[];
  head: number;
  waiter: ((r: IteratorResult<DatapathEvent>) => void) | undefined;
}

/** Subscribers of datapath events. */
export class EventHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #highWaterMark: number;
  #ended = false;
  /** Events a subscriber could not take because its queue was full. */
  dropped = 0;

  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /** True when someone is listening (producers may skip building events otherwise). */
  get active(): boolean {
    return this.#subscribers.size > 0;
  }

  /** Delivers an event to every subscriber. */
  publish(event: DatapathEvent): void {
    for (const s of this.#subscribers) {
      if (s.waiter) {
        const waiter = s.waiter;
        s.waiter = undefined;
        waiter({ value: event, done: false });
      } else if (s.queue.length - s.head >= this.#highWaterMark) {
        this.dropped++;
      } else {
        s.queue.push(event);
      }
    }
  }

  /** A new subscription; it ends when the hub ends or the consumer stops iterating. */
  subscribe(): AsyncIterable<DatapathEvent> {
    return {
      [Symbol.asyncIterator]: () => {
        const s: Subscriber = { queue: [], head: 0, waiter: undefined };
        if (!this.#ended) this.#subscribers.add(s);
        return {
          next: () => {
            if (s.head < s.queue.length) {
              const value = s.queue[s.head++] as DatapathEvent;
              if (s.head === s.queue.length) {
                s.queue.length = 0;
                s.head = 0;
              }
              return Promise.resolve({ value, done: false });
            }
            if (this.#ended || !this.#subscribers.has(s)) return Promise.resolve({ value: undefined, done: true });
            return new Promise((resolve) => {
              s.waiter = resolve;
            });
          },
          return: () => {
            this.#subscribers.delete(s);
            s.waiter?.({ value: undefined, done: true });
            s.waiter = undefined;
            return Promise.resolve({ value: undefined, done: true });
          },
        };
      },
    };
  }

  /** Ends every subscription (after their queued events). */
  end(): void {
    this.#ended = true;
    for (const s of this.#subscribers) {
      s.waiter?.({ value: undefined, done: true });
      s.waiter = undefined;
    }
    this.#subscribers.clear();
  }
}
