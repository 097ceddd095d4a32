import { createRequire } from 'node:module';
import { EbpfError, EbpfErrorCode } from '../errors.js';

/** The koffi module's type (loaded lazily: its native binary is an optional dependency). */
export type Koffi = typeof import('koffi').default;

/** A native pointer as koffi 3 returns it; `null` for NULL. */
export type Pointer = bigint;

let koffi: Koffi | undefined;
let failure: string | undefined;

/**
 * Loads koffi on first use. It is not imported at module load, so this package (and its userspace
 * datapath) works on machines where koffi's native binary is absent.
 */
export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  if (failure) throw new EbpfError(EbpfErrorCode.Unavailable, failure);
  if (process.platform !== 'linux') {
    failure = `eBPF needs Linux; this is ${process.platform}`;
    throw new EbpfError(EbpfErrorCode.Unavailable, failure);
  }
  try {
    const require = createRequire(import.meta.url);
    koffi = require('koffi') as Koffi;
    return koffi;
  } catch (cause) {
    failure =
      "koffi (the FFI library the eBPF bindings use) could not be loaded: install dependencies without '--omit=optional', " +
      `so that its native binary for ${process.platform}-${process.arch} is present`;
    throw new EbpfError(EbpfErrorCode.Unavailable, failure, { cause });
  }
}

/** A failed mmap(): MAP_FAILED is (void *)-1. */
export const MAP_FAILED: Pointer = 0xffffffffffffffffn;
