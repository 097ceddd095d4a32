import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// koffi stays external: its native binary is an optional dependency resolved at run time.
// shims: the CommonJS build gets import.meta.url, used to find the shipped BPF objects.
export default defineConfig(packageBuild(['src/index.ts'], { external: ['koffi'], shims: true }));
