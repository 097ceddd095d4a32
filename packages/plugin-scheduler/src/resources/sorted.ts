/** The first index of `list` (sorted by `key`) whose key is not below `k`. */
function lowerBound<T>(list: readonly T[], k: string, key: (t: T) => string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `item` into `list` kept sorted by `key`, replacing an item with the same key. */
export function insertSorted<T>(list: T[], item: T, key: (t: T) => string): void {
  const k = key(item);
  const at = lowerBound(list, k, key);
  if (at < list.length && key(list[at]!) === k) list[at] = item;
  else list.splice(at, 0, item);
}

/** Removes the item with `k` from `list` kept sorted by `key`; returns whether it was there. */
export function removeSorted<T>(list: T[], k: string, key: (t: T) => string): boolean {
  const at = lowerBound(list, k, key);
  if (at >= list.length || key(list[at]!) !== k) return false;
  list.splice(at, 1);
  return true;
}

/** Compares strings by code unit (the order every replica agrees on, unlike localeCompare). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
