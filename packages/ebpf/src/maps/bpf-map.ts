import { EbpfError, EbpfErrorCode } from '../errors.js';
import { decodeValue, encodeValue, type Layout } from '../layout/layout.js';
import { UpdateFlag } from './map-types.js';
import type { RawBpfMap } from './raw-map.js';

function checkSize(map: RawBpfMap, what: 'key' | 'value', layout: Layout<unknown>, expected: number): void {
  if (layout.size !== expected) {
    throw new EbpfError(
      EbpfErrorCode.Layout,
      `map '${map.info.name}' has ${expected}-byte ${what}s but the layout ${layout.cType} is ${layout.size} bytes: ` +
        `the TypeScript layout and the C struct have drifted apart`,
    );
  }
}

/**
 * A map with typed keys and values, encoded by layouts declared once in TypeScript. The layouts'
 * sizes are checked against the map's when it is made; `Btf.differences` checks them member by
 * member against the object's BTF.
 *
 * ```ts
 * import { BpfObject, struct, u32, u64 } from '@hypermesh/ebpf';
 *
 * const counters = struct('counters', { packets: u64, bytes: u64 });
 * const obj = BpfObject.open('counter.bpf.o').load();
 * const map = obj.map('totals').typed(u32, counters);
 * map.update(0, { packets: 0n, bytes: 0n });
 * console.log(map.lookup(0)?.packets);
 * ```
 */
export class BpfMap<K, V> {
  /** The untyped map underneath. */
  readonly raw: RawBpfMap;
  readonly #key: Layout<K>;
  readonly #value: Layout<V>;

  constructor(raw: RawBpfMap, key: Layout<K>, value: Layout<V>) {
    if (raw.perCpu) {
      throw new EbpfError(EbpfErrorCode.Layout, `map '${raw.info.name}' is ${raw.info.type}: use perCpu() to get one value per CPU`);
    }
    checkSize(raw, 'key', key as Layout<unknown>, raw.info.keySize);
    checkSize(raw, 'value', value as Layout<unknown>, raw.info.valueSize);
    this.raw = raw;
    this.#key = key;
    this.#value = value;
  }

  /** The map's name in its object. */
  get name(): string {
    return this.raw.info.name;
  }

  /** The value of `key`, or `undefined`. */
  lookup(key: K): V | undefined {
    const bytes = this.raw.lookup(encodeValue(this.#key, key));
    return bytes && decodeValue(this.#value, bytes);
  }

  /** Sets `key` to `value` (flags: {@link UpdateFlag}). */
  update(key: K, value: V, flags: bigint = UpdateFlag.Any): void {
    this.raw.update(encodeValue(this.#key, key), encodeValue(this.#value, value), flags);
  }

  /** Deletes `key`; false when it was absent. */
  delete(key: K): boolean {
    return this.raw.delete(encodeValue(this.#key, key));
  }

  /** Every key. */
  *keys(): Generator<K> {
    for (const k of this.raw.keys()) yield decodeValue(this.#key, k);
  }

  /** Every entry, read in batches where the map type allows. */
  entries(options?: { readonly andDelete?: boolean }): Array<[K, V]> {
    return this.raw.entries(options).map(([k, v]) => [decodeValue(this.#key, k), decodeValue(this.#value, v)]);
  }

  /** Sets many entries, in one syscall where the map type allows. */
  updateBatch(entries: ReadonlyArray<readonly [K, V]>, flags: bigint = UpdateFlag.Any): void {
    this.raw.updateBatch(
      entries.map(([k, v]) => [encodeValue(this.#key, k), encodeValue(this.#value, v)] as const),
      flags,
    );
  }

  /** Deletes many keys, in one syscall where the map type allows; returns how many were deleted. */
  deleteBatch(keys: readonly K[]): number {
    return this.raw.deleteBatch(keys.map((k) => encodeValue(this.#key, k)));
  }

  /** Deletes every entry. */
  clear(): number {
    return this.raw.clear();
  }
}

/**
 * A per-CPU map with typed keys and values: a lookup returns one value per possible CPU, and
 * {@link PerCpuBpfMap.sum} adds them up with a function of yours.
 */
export class PerCpuBpfMap<K, V> {
  /** The untyped map underneath. */
  readonly raw: RawBpfMap;
  readonly #key: Layout<K>;
  readonly #value: Layout<V>;
  readonly #slot: number;

  constructor(raw: RawBpfMap, key: Layout<K>, value: Layout<V>) {
    if (!raw.perCpu) throw new EbpfError(EbpfErrorCode.Layout, `map '${raw.info.name}' is ${raw.info.type}, not per-CPU: use typed()`);
    checkSize(raw, 'key', key as Layout<unknown>, raw.info.keySize);
    checkSize(raw, 'value', value as Layout<unknown>, raw.info.valueSize);
    this.raw = raw;
    this.#key = key;
    this.#value = value;
    this.#slot = Math.ceil(raw.info.valueSize / 8) * 8;
  }

  /** The map's name in its object. */
  get name(): string {
    return this.raw.info.name;
  }

  /** One value per possible CPU, or `undefined`. */
  lookup(key: K): V[] | undefined {
    const bytes = this.raw.lookup(encodeValue(this.#key, key));
    return bytes && this.#split(bytes);
  }

  /** The values of every CPU folded with `add`, or `undefined`. */
  sum(key: K, add: (a: V, b: V) => V): V | undefined {
    return this.lookup(key)?.reduce(add);
  }

  /** Sets `key` to the same value on every CPU, or to one value per CPU. */
  update(key: K, value: V | readonly V[], flags: bigint = UpdateFlag.Any): void {
    const values = Array.isArray(value) ? (value as readonly V[]) : undefined;
    const buf = Buffer.alloc(this.raw.valueStride);
    const cpus = this.raw.valueStride / this.#slot;
    for (let cpu = 0; cpu < cpus; cpu++) {
      encodeValue(this.#value, values ? (values[cpu] as V) : (value as V)).copy(buf, cpu * this.#slot);
    }
    this.raw.update(encodeValue(this.#key, key), buf, flags);
  }

  /** Deletes `key` (not possible for per-CPU arrays). */
  delete(key: K): boolean {
    return this.raw.delete(encodeValue(this.#key, key));
  }

  /** Every entry with its per-CPU values, read in batches. */
  entries(options?: { readonly andDelete?: boolean }): Array<[K, V[]]> {
    return this.raw.entries(options).map(([k, v]) => [decodeValue(this.#key, k), this.#split(v)]);
  }

  #split(bytes: Buffer): V[] {
    const out: V[] = [];
    for (let at = 0; at < bytes.length; at += this.#slot) out.push(decodeValue(this.#value, bytes, at));
    return out;
  }
}
