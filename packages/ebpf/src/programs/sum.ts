/** Adds per-CPU counter structs field by field (every field a bigint counter). */
export function sumCounters<T extends Record<string, bigint>>(values: readonly T[]): T {
  const out: Record<string, bigint> = {};
  for (const v of values) for (const [k, x] of Object.entries(v)) out[k] = (out[k] ?? 0n) + x;
  return out as T;
}
