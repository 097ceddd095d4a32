import semver from 'semver';
import type { z } from 'zod';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import type { AnyServiceRef } from '../services/service-ref.js';
import type { PluginContext } from './context.js';

/** What a plugin needs in order to load. */
export interface PluginRequirements {
  /** A semver range the runtime's version must satisfy, e.g. `^0.1.0`. */
  runtime?: string;
  /** Plugins that must be loaded, by npm name, with the range their version must satisfy. */
  plugins?: Record<string, string>;
  /**
   * Services this plugin uses with `ctx.use`. Each must be provided by a loaded plugin or an
   * override; the providing plugin is set up and started before this one.
   */
  services?: readonly AnyServiceRef[];
}

/** The config schema a plugin may declare: any zod schema. */
export type PluginConfigSchema = z.ZodType;

/** The config type a plugin's setup receives: the schema's output, or `undefined` without one. */
export type PluginConfigOf<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

/** The object given to {@link definePlugin}. */
export interface PluginDefinition<Schema extends PluginConfigSchema | undefined = undefined> {
  /** The plugin's npm package name, e.g. `@hypermesh/plugin-pbft`. */
  name: string;
  /** The plugin's version (semver); `loadPlugins` checks it equals its package.json version. */
  version: string;
  /** One line on what the plugin does. */
  description?: string;
  /** The runtime range, plugins and services this plugin cannot work without. */
  requires?: PluginRequirements;
  /**
   * Plugins used when present, by npm name with a version range. An absent optional plugin is fine;
   * a present one must satisfy the range, and is set up before this plugin.
   */
  optional?: Record<string, string>;
  /** Services used when present, through `ctx.useOptional`; their providers are set up first. */
  optionalServices?: readonly AnyServiceRef[];
  /** Services this plugin provides with `ctx.provide` during setup. */
  provides?: readonly AnyServiceRef[];
  /** A zod schema for this plugin's config slice (`createNode({ config: { [name]: … } })`). */
  config?: Schema;
  /**
   * Wires the plugin: provide services, use services, tap hooks, register `onStart`/`onStop`.
   * Runs once per node, in dependency order, when the node starts.
   */
  setup(ctx: PluginContext<PluginConfigOf<Schema>>): void | Promise<void>;
}

const PLUGIN_BRAND: unique symbol = Symbol.for('hypermesh.plugin');

/** A validated, frozen plugin, ready to be given to `createNode`. */
export interface Plugin<Config = unknown> {
  /** Marks the object as a plugin made by `definePlugin` (of any copy of the runtime). */
  readonly [PLUGIN_BRAND]: true;
  /** The plugin's npm package name. */
  readonly name: string;
  /** The plugin's version. */
  readonly version: string;
  /** One line on what the plugin does. */
  readonly description: string | undefined;
  /** Required runtime range, plugins and services. */
  readonly requires: {
    readonly runtime: string | undefined;
    readonly plugins: Readonly<Record<string, string>>;
    readonly services: readonly AnyServiceRef[];
  };
  /** Optional plugins and their ranges. */
  readonly optional: Readonly<Record<string, string>>;
  /** Optional services. */
  readonly optionalServices: readonly AnyServiceRef[];
  /** Provided services. */
  readonly provides: readonly AnyServiceRef[];
  /** The config schema, if any. */
  readonly config: PluginConfigSchema | undefined;
  /** The setup function. */
  readonly setup: (ctx: PluginContext<Config>) => void | Promise<void>;
}

/** A plugin of any config type, as accepted by `createNode`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = Plugin<any>;

const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

function invalid(name: unknown, problem: string): HypermeshError {
  const who = typeof name === 'string' && name.length > 0 ? `plugin '${name}'` : 'a plugin';
  return new HypermeshError(RuntimeErrorCode.PluginInvalid, `definePlugin: ${who} ${problem}`, {
    plugin: typeof name === 'string' ? name : undefined,
  });
}

function checkRanges(name: string, field: string, ranges: unknown): Record<string, string> {
  if (ranges === undefined) return {};
  if (ranges === null || typeof ranges !== 'object' || Array.isArray(ranges)) {
    throw invalid(name, `has ${field} that is not an object of { packageName: semverRange }`);
  }
  for (const [dep, range] of Object.entries(ranges)) {
    if (!PACKAGE_NAME.test(dep)) throw invalid(name, `lists '${dep}' in ${field}, which is not an npm package name`);
    if (typeof range !== 'string' || semver.validRange(range) === null) {
      throw invalid(name, `has ${field}['${dep}'] = ${JSON.stringify(range)}, which is not a semver range (e.g. '^1.2.0')`);
    }
  }
  return { ...(ranges as Record<string, string>) };
}

function checkRefs(name: string, field: string, refs: unknown): readonly AnyServiceRef[] {
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) throw invalid(name, `has ${field} that is not an array of service refs`);
  for (const ref of refs) {
    if (ref === null || typeof ref !== 'object' || typeof ref.id !== 'string' || typeof ref.version !== 'string') {
      throw invalid(name, `has an entry in ${field} that is not a service ref made by createServiceRef`);
    }
  }
  return Object.freeze([...refs]);
}

/**
 * Defines a plugin. The manifest is checked here, so a malformed plugin fails where it is
 * written, not when a node loads it.
 *
 * ```ts
 * export default definePlugin({
 *   name: '@acme/plugin-greeter',
 *   version: '1.0.0',
 *   requires: { runtime: '^0.1.0' },
 *   provides: [greeterRef],
 *   config: z.object({ greeting: z.string().default('hello') }),
 *   setup(ctx) {
 *     ctx.provide(greeterRef, { greet: (name) => `${ctx.config.greeting}, ${name}` });
 *   },
 * });
 * ```
 */
export function definePlugin<Schema extends PluginConfigSchema | undefined = undefined>(
  definition: PluginDefinition<Schema>,
): Plugin<PluginConfigOf<Schema>> {
  const { name, version } = definition ?? ({} as PluginDefinition<Schema>);
  if (typeof name !== 'string' || !PACKAGE_NAME.test(name)) {
    throw invalid(name, `has name ${JSON.stringify(name)}, which is not an npm package name (e.g. '@acme/plugin-x')`);
  }
  if (typeof version !== 'string' || semver.valid(version) === null) {
    throw invalid(name, `has version ${JSON.stringify(version)}, which is not semver (e.g. '1.0.0')`);
  }
  if (typeof definition.setup !== 'function') throw invalid(name, 'has no setup(ctx) function');
  const requires = definition.requires ?? {};
  if (requires.runtime !== undefined && (typeof requires.runtime !== 'string' || semver.validRange(requires.runtime) === null)) {
    throw invalid(name, `has requires.runtime = ${JSON.stringify(requires.runtime)}, which is not a semver range`);
  }
  const config = definition.config;
  if (config !== undefined && (config === null || typeof (config as z.ZodType).safeParse !== 'function')) {
    throw invalid(name, 'has a config that is not a zod schema');
  }
  const plugin: Plugin<PluginConfigOf<Schema>> = {
    [PLUGIN_BRAND]: true,
    name,
    version,
    description: definition.description,
    requires: Object.freeze({
      runtime: requires.runtime,
      plugins: Object.freeze(checkRanges(name, 'requires.plugins', requires.plugins)),
      services: checkRefs(name, 'requires.services', requires.services),
    }),
    optional: Object.freeze(checkRanges(name, 'optional', definition.optional)),
    optionalServices: checkRefs(name, 'optionalServices', definition.optionalServices),
    provides: checkRefs(name, 'provides', definition.provides),
    config,
    setup: definition.setup as Plugin<PluginConfigOf<Schema>>['setup'],
  };
  return Object.freeze(plugin);
}

/** True when `value` is a plugin made by `definePlugin` (from any copy of the runtime). */
export function isPlugin(value: unknown): value is AnyPlugin {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
