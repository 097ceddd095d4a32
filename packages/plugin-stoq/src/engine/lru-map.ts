/**
 * A Map bounded to `capacity` entries that evicts the least recently used one. A JavaScript Map
 * iterates in insertion order, so re-inserting on use keeps the oldest entry first: O(1) per
 * operation, no extra links.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  private evictions = 0;

  constructor(readonly capacity: number) {}

  /** The value of `key`, marking it used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** The value of `key` without marking it used. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Sets `key`, evicting the least recently used entry when full; returns the evicted value. */
  set(key: K, value: V): V | undefined {
    let evicted: V | undefined;
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        evicted = this.map.get(oldest.value);
        this.map.delete(oldest.value);
        this.evictions++;
      }
    }
    this.map.set(key, value);
    return evicted;
  }

  /** Removes `key`. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Entries, least recently used first. */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** Values, least recently used first. */
  values(): IterableIterator<V> {
    return this.map.values();
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** Entries evicted so far. */
  evicted(): number {
    return this.evictions;
  }

  /** Removes everything. */
  clear(): void {
    this.map.clear();
  }
}
