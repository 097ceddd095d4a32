import type { Options } from 'tsup';

/**
 * The build every HyperMesh package shares: ESM + CJS + .d.ts for Node 20, with source maps.
 * A package's tsup.config.ts passes its entries (and any extras, e.g. koffi kept external).
 */
export function packageBuild(entry: string[], extra: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    ...extra,
  };
}
