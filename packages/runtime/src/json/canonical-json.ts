import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/** A value that survives JSON encoding unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Encodes a JSON value canonically: object keys sorted by code unit, no whitespace, so equal
 * values give equal bytes on every replica (for digests and signatures). Non-finite numbers,
 * `undefined`, functions, bigints and cycles are refused with a message that gives the path.
 */
export function canonicalJson(value: JsonValue): string {
  return encode(value, '$', new Set());
}

/** {@link canonicalJson} as UTF-8 bytes. */
export function canonicalJsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function refuse(path: string, what: string): never {
  throw new HypermeshError(RuntimeErrorCode.InvalidArgument, `canonicalJson: ${path} is ${what}, which JSON cannot carry faithfully`);
}

function encode(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(path, String(value));
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) refuse(path, 'a circular reference');
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value.map((v, i) => encode(v, `${path}[${i}]`, seen)).join(',')}]`;
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) refuse(path, `an instance of ${value.constructor?.name ?? 'a class'}`);
        const keys = Object.keys(value).sort();
        const parts: string[] = [];
        for (const key of keys) {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) refuse(`${path}.${key}`, 'undefined');
          parts.push(`${JSON.stringify(key)}:${encode(v, `${path}.${key}`, seen)}`);
        }
        out = `{${parts.join(',')}}`;
      }
      seen.delete(value);
      return out;
    }
    default:
      return refuse(path, typeof value);
  }
}
