import { formatIssues, formatPath, issuesFromZod, type ConfigIssue } from '../config/format-issues.js';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import type { AnyPlugin } from '../plugin/define-plugin.js';

/**
 * Validates each plugin's config slice with its schema and collects every problem of every
 * plugin into one `E_CONFIG_INVALID`, so an operator fixes them all in one pass. A slice for a
 * plugin that is not loaded, or that takes no config, is a problem too: it is almost always a typo.
 */
export function validatePluginConfigs(plugins: readonly AnyPlugin[], config: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const parsed = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  let firstPlugin: string | undefined;
  const names = new Set(plugins.map((p) => p.name));
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new HypermeshError(RuntimeErrorCode.ConfigInvalid, 'createNode: config must be an object keyed by plugin name');
  }
  for (const key of Object.keys(config)) {
    if (!names.has(key)) {
      issues.push({
        path: formatPath('config', [key]),
        message: `no loaded plugin is named '${key}' (loaded: ${[...names].join(', ') || 'none'})`,
      });
    }
  }
  for (const plugin of plugins) {
    const slice = config[plugin.name];
    if (plugin.config === undefined) {
      if (slice !== undefined) {
        issues.push({ path: formatPath('config', [plugin.name]), message: `plugin '${plugin.name}' takes no config` });
        firstPlugin ??= plugin.name;
      }
      continue;
    }
    const result = plugin.config.safeParse(slice === undefined ? {} : slice);
    if (result.success) {
      parsed.set(plugin.name, result.data);
    } else {
      issues.push(...issuesFromZod(formatPath('config', [plugin.name]), result.error));
      firstPlugin ??= plugin.name;
    }
  }
  if (issues.length > 0) {
    throw new HypermeshError(
      RuntimeErrorCode.ConfigInvalid,
      `config is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${formatIssues(issues)}`,
      { plugin: firstPlugin, details: { issues } },
    );
  }
  return parsed;
}
