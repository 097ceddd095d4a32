import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// `train-worker` is the isolation-forest training thread, loaded by path beside the bundle
// (dist/train-worker.js); `shims` gives the CommonJS build an import.meta.url to find it.
export default defineConfig(
  packageBuild(['src/index.ts'], { shims: true, entry: { index: 'src/index.ts', 'train-worker': 'src/forest/train-worker.ts' } }),
);
