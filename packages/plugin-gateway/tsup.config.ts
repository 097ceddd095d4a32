import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// `.`: the plugin; `./testing`: test doubles of the contracts and a gateway node on port 0.
export default defineConfig(packageBuild(['src/index.ts', 'src/testing/index.ts']));
