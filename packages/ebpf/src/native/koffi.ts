import { createRequire } from 'node:module';
import type KoffiModule from 'koffi';
import { EbpfError, EbpfErrorCode } from '../errors.js';
import { sharedState } from './shared-state.js';

/** The koffi module's type (loaded lazily: its native binary is an optional dependency). */
export type Koffi = typeof KoffiModule;

/** A native pointer as koffi 3 returns it; `null` for NULL. */
export type Pointer = bigint;

const state = sharedState('koffi', () => ({ koffi: undefined as Koffi | undefined, failure: undefined as string | undefined }));

/**
 * Loads koffi on first use. It is not imported at module load, so this package (and its userspace
 * datapath) works on machines where koffi's native binary is absent.
 */
export function loadKoffi(): Koffi {
  if (state.koffi) return state.koffi;
  if (state.failure) throw new EbpfError(EbpfErrorCode.Unavailable, state.failure);
  if (process.platform !== 'linux') {
    state.failure = `eBPF needs Linux; this is ${process.platform}`;
    throw new EbpfError(EbpfErrorCode.Unavailable, state.failure);
  }
  try {
    const require = createRequire(import.meta.url);
    state.koffi = require('koffi') as Koffi;
    return state.koffi;
  } catch (cause) {
    state.failure =
      "koffi (the FFI library the eBPF bindings use) could not be loaded: install dependencies without '--omit=optional', " +
      `so that its native binary for ${process.platform}-${process.arch} is present`;
    throw new EbpfError(EbpfErrorCode.Unavailable, state.failure, { cause });
  }
}

/** A failed mmap(): MAP_FAILED is (void *)-1. */
export const MAP_FAILED: Pointer = 0xffffffffffffffffn;
