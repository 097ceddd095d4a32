import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HypermeshError, RuntimeErrorCode, messageOf } from '../errors.js';
import { isPlugin, type AnyPlugin } from './define-plugin.js';

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** Directory that package names and relative paths are resolved from. Default `process.cwd()`. */
  from?: string;
}

// A real dynamic import in both builds (esbuild keeps import() in CommonJS output for node20),
// so ESM-only plugins load from CommonJS integrators too.
const importModule = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

/**
 * Imports plugins by npm package name (`@hypermesh/plugin-pbft`) or by path (`./my-plugin.js`).
 * Each module's default export must be a plugin made by `definePlugin`, and the plugin's
 * `version` must equal the `version` of the package.json it ships in — a mismatch means a stale
 * build or a hand-edited manifest, and would make every version check downstream a lie.
 */
export async function loadPlugins(specifiers: readonly string[], options: LoadPluginsOptions = {}): Promise<AnyPlugin[]> {
  const base = resolve(options.from ?? process.cwd());
  const require = createRequire(join(base, 'noop.js'));
  const plugins: AnyPlugin[] = [];
  for (const specifier of specifiers) {
    const isPath = specifier.startsWith('.') || isAbsolute(specifier);
    let file: string;
    try {
      file = isPath ? resolve(base, specifier) : require.resolve(specifier);
    } catch (err) {
      throw new HypermeshError(
        RuntimeErrorCode.PluginLoadFailed,
        `loadPlugins: cannot find '${specifier}' from ${base}: ${messageOf(err)}; install the package or fix the path`,
        { cause: err },
      );
    }
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(pathToFileURL(file).href);
    } catch (err) {
      throw new HypermeshError(RuntimeErrorCode.PluginLoadFailed, `loadPlugins: importing '${specifier}' (${file}) failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
    // A CommonJS module seen through import() puts module.exports on `default`.
    let candidate = mod.default;
    if (!isPlugin(candidate) && candidate !== null && typeof candidate === 'object') candidate = (candidate as Record<string, unknown>).default;
    if (!isPlugin(candidate)) {
      throw new HypermeshError(
        RuntimeErrorCode.PluginInvalid,
        `loadPlugins: '${specifier}' has no plugin as its default export; export default definePlugin({ … }) from its entry`,
      );
    }
    const pkg = findPackageJson(file);
    if (pkg !== undefined && pkg.version !== candidate.version) {
      throw new HypermeshError(
        RuntimeErrorCode.VersionMismatch,
        `loadPlugins: plugin '${candidate.name}' declares version ${candidate.version}, but its package.json (${pkg.path}) says ${pkg.version}; rebuild the package or make the two agree`,
        { plugin: candidate.name },
      );
    }
    plugins.push(candidate);
  }
  return plugins;
}

function findPackageJson(file: string): { path: string; version: string } | undefined {
  let dir = dirname(file);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      // Skip nested "type"-only package.json files that some builds emit.
      if (typeof json.version === 'string' && typeof json.name === 'string') return { path: candidate, version: json.version };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
