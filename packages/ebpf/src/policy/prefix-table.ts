import { addressKey, maskAddress, type Prefix } from './address.js';

/**
 * Longest-prefix match over 16-byte addresses, the userspace twin of the kernel's LPM trie: one
 * hash map per prefix length in use, probed from the longest length down.
 */
export class PrefixTable<V> {
  readonly #byLength = new Map<number, Map<string, { readonly prefix: Prefix; readonly value: V }>>();
  #lengths: number[] = [];

  /** Entries in the table. */
  get size(): number {
    let n = 0;
    for (const m of this.#byLength.values()) n += m.size;
    return n;
  }

  /** Sets the value of a prefix. */
  set(prefix: Prefix, value: V): void {
    let table = this.#byLength.get(prefix.length);
    if (!table) {
      table = new Map();
      this.#byLength.set(prefix.length, table);
      this.#lengths = [...this.#byLength.keys()].sort((a, b) => b - a);
    }
    table.set(addressKey(prefix.address), { prefix, value });
  }

  /** Removes a prefix; false when it was absent. */
  delete(prefix: Prefix): boolean {
    const table = this.#byLength.get(prefix.length);
    const removed = table?.delete(addressKey(prefix.address)) ?? false;
    if (table && table.size === 0) {
      this.#byLength.delete(prefix.length);
      this.#lengths = this.#lengths.filter((l) => l !== prefix.length);
    }
    return removed;
  }

  /** The value of the longest prefix containing `address`, if any. */
  match(address: Uint8Array): V | undefined {
    for (const length of this.#lengths) {
      const hit = this.#byLength.get(length)?.get(addressKey(maskAddress(address, length)));
      if (hit) return hit.value;
    }
    return undefined;
  }

  /** Every prefix and its value. */
  *entries(): Generator<[Prefix, V]> {
    for (const table of this.#byLength.values()) for (const { prefix, value } of table.values()) yield [prefix, value];
  }
}
