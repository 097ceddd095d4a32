/**
 * A Map bounded to `capacity` entries that evicts a least recently used one, by the second-chance
 * ("clock") approximation of LRU: a read only sets a flag; when room is needed, the oldest entries
 * that were read since their last pass move to the back with the flag cleared, and the first one
 * not read is evicted. Reads cost one Map lookup — no re-insertion, no garbage — and eviction is
 * O(1) amortised.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, { value: V; used: boolean }>();
  private evictions = 0;

  constructor(readonly capacity: number) {}

  /** The value of `key`, marking it used. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** The value of `key` without marking it used. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets `key`, evicting a least recently used entry when full; returns the evicted value. */
  set(key: K, value: V): V | undefined {
    const existing = this.map.get(key);
    if (existing !== undefined) {
      existing.value = value;
      existing.used = true;
      return undefined;
    }
    let evicted: V | undefined;
    if (this.map.size >= this.capacity) {
      for (;;) {
        const oldest = this.map.entries().next();
        if (oldest.done) break;
        const [k, entry] = oldest.value;
        this.map.delete(k);
        if (!entry.used) {
          evicted = entry.value;
          this.evictions++;
          break;
        }
        entry.used = false;
        this.map.set(k, entry);
      }
    }
    this.map.set(key, { value, used: false });
    return evicted;
  }

  /** Removes `key`. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Entries, roughly least recently used first. */
  *entries(): IterableIterator<[K, V]> {
    for (const [k, e] of this.map) yield [k, e.value];
  }

  /** Values, roughly least recently used first. */
  *values(): IterableIterator<V> {
    for (const e of this.map.values()) yield e.value;
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
