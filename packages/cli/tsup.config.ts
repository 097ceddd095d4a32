import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// index: the library (assembleNode, startCluster, runCli); bin: the `hypermesh` executable.
export default defineConfig(packageBuild(['src/index.ts', 'src/bin.ts']));
