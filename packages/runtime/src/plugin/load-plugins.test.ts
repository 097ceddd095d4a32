import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlugins } from './load-plugins.js';

// Fixture plugins are plain modules on disk, loaded by Node's own import(). They carry the
// plugin brand directly, as a plugin built against another copy of the runtime would.
const pluginModule = (name: string, version: string, cjs = false) => {
  const body = `{ [Symbol.for('hypermesh.plugin')]: true, name: ${JSON.stringify(name)}, version: ${JSON.stringify(version)},
  description: undefined, requires: { runtime: undefined, plugins: {}, services: [] }, optional: {}, optionalServices: [], provides: [],
  config: undefined, setup() {} }`;
  return cjs ? `module.exports = { default: ${body} };` : `export default ${body};`;
};

describe('loadPlugins', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-load-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function pkg(name: string, pkgVersion: string, pluginVersion: string, cjs = false) {
    const root = join(dir, 'node_modules', ...name.split('/'));
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'package.json'), JSON.stringify({ name, version: pkgVersion, main: cjs ? 'index.cjs' : 'index.mjs' }));
    await writeFile(join(root, cjs ? 'index.cjs' : 'index.mjs'), pluginModule(name, pluginVersion, cjs));
  }

  it('imports plugins by package name (ESM and CommonJS) and by path', async () => {
    await pkg('@acme/esm-plugin', '1.2.3', '1.2.3');
    await pkg('cjs-plugin', '0.4.0', '0.4.0', true);
    await mkdir(join(dir, 'local'));
    await writeFile(join(dir, 'local', 'package.json'), JSON.stringify({ name: 'local-plugin', version: '2.0.0' }));
    await writeFile(join(dir, 'local', 'plugin.mjs'), pluginModule('local-plugin', '2.0.0'));
    const plugins = await loadPlugins(['@acme/esm-plugin', 'cjs-plugin', './local/plugin.mjs'], { from: dir });
    expect(plugins.map((p) => `${p.name}@${p.version}`)).toEqual(['@acme/esm-plugin@1.2.3', 'cjs-plugin@0.4.0', 'local-plugin@2.0.0']);
  });

  it('refuses a plugin whose version differs from its package.json', async () => {
    await pkg('stale-plugin', '1.1.0', '1.0.0');
    await expect(loadPlugins(['stale-plugin'], { from: dir })).rejects.toMatchObject({
      code: 'E_VERSION_MISMATCH',
      plugin: 'stale-plugin',
      message: expect.stringMatching(/^loadPlugins: plugin 'stale-plugin' declares version 1\.0\.0, but its package\.json \(.*\) says 1\.1\.0;/),
    });
  });

  it('refuses a module without a plugin default export, and a missing package', async () => {
    await writeFile(join(dir, 'not-a-plugin.mjs'), 'export default { name: "x" };');
    await expect(loadPlugins(['./not-a-plugin.mjs'], { from: dir })).rejects.toMatchObject({ code: 'E_PLUGIN_INVALID' });
    await expect(loadPlugins(['@acme/does-not-exist'], { from: dir })).rejects.toMatchObject({
      code: 'E_PLUGIN_LOAD_FAILED',
      message: expect.stringContaining("cannot find '@acme/does-not-exist'"),
    });
    await writeFile(join(dir, 'broken.mjs'), 'export default {');
    await expect(loadPlugins(['./broken.mjs'], { from: dir })).rejects.toMatchObject({ code: 'E_PLUGIN_LOAD_FAILED' });
  });
});
