import { requireArgument } from '../errors.js';
import { hash32 } from './hash.js';

/** 2^-r for every register value. */
const INVERSE_POWERS = Float64Array.from({ length: 34 }, (_, r) => 2 ** -r);

/**
 * HyperLogLog (Flajolet, Fusy, Gandouet & Meunier, 2007): the number of distinct keys in
 * 2^precision one-byte registers, with a standard error of about 1.04 / √(2^precision)
 * (1.6 % at precision 12, in 4 KiB). Small cardinalities use linear counting, as the paper advises.
 * The harmonic sum is kept up to date on every register change, so `count` is O(1).
 */
export class HyperLogLog {
  /** log2 of the number of registers. */
  readonly precision: number;
  private readonly registers: Uint8Array;
  private readonly m: number;
  private readonly alpha: number;
  private sum: number;
  private zeros: number;

  constructor(precision = 12) {
    requireArgument(Number.isInteger(precision) && precision >= 4 && precision <= 16, `HyperLogLog: precision must be an integer in [4, 16], not ${precision}`);
    this.precision = precision;
    this.m = 1 << precision;
    this.registers = new Uint8Array(this.m);
    this.alpha = this.m === 16 ? 0.673 : this.m === 32 ? 0.697 : this.m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / this.m);
    this.sum = this.m;
    this.zeros = this.m;
  }

  /** Adds a key; returns true when a register changed (the key is probably new). */
  add(key: string): boolean {
    const h = hash32(key, 0x2545f491);
    const j = h >>> (32 - this.precision);
    const rest = (h << this.precision) >>> 0;
    // rank: position of the first 1-bit in the remaining bits (1-based), capped
    const rank = rest === 0 ? 32 - this.precision + 1 : Math.clz32(rest) + 1;
    const old = this.registers[j]!;
    if (rank <= old) return false;
    this.registers[j] = rank;
    this.sum += INVERSE_POWERS[rank]! - INVERSE_POWERS[old]!;
    if (old === 0) this.zeros--;
    return true;
  }

  /** The estimated number of distinct keys added. */
  count(): number {
    const raw = (this.alpha * this.m * this.m) / this.sum;
    if (raw <= 2.5 * this.m && this.zeros > 0) return this.m * Math.log(this.m / this.zeros);
    const two32 = 2 ** 32;
    if (raw > two32 / 30) return -two32 * Math.log(1 - raw / two32);
    return raw;
  }

  /** Makes this sketch the union of itself and `other` (same precision). */
  merge(other: HyperLogLog): void {
    requireArgument(other.precision === this.precision, `HyperLogLog.merge: precisions differ (${this.precision} and ${other.precision})`);
    for (let j = 0; j < this.m; j++) if (other.registers[j]! > this.registers[j]!) this.registers[j] = other.registers[j]!;
    this.recount();
  }

  /** Makes this sketch a copy of `other` (same precision). */
  copyFrom(other: HyperLogLog): void {
    requireArgument(other.precision === this.precision, `HyperLogLog.copyFrom: precisions differ (${this.precision} and ${other.precision})`);
    this.registers.set(other.registers);
    this.sum = other.sum;
    this.zeros = other.zeros;
  }

  /** Forgets every key. */
  clear(): void {
    this.registers.fill(0);
    this.sum = this.m;
    this.zeros = this.m;
  }

  /** Bytes held by the registers. */
  byteSize(): number {
    return this.registers.byteLength;
  }

  private recount(): void {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < this.m; j++) {
      const r = this.registers[j]!;
      sum += INVERSE_POWERS[r]!;
      if (r === 0) zeros++;
    }
    this.sum = sum;
    this.zeros = zeros;
  }
}
