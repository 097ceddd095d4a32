/**
 * JSON for API answers: bytes (`Uint8Array`, e.g. TLSA data, raw RDATA) as lower-case hex, dates
 * as ISO 8601 (their own `toJSON`), bigints as decimal strings.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('hex');
    if (typeof converted === 'bigint') return converted.toString();
    return converted;
  });
}
