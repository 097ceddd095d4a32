// Test helpers shared by the runtime's own tests (not exported from the package).
import { pino } from 'pino';
import { definePlugin, type AnyPlugin, type PluginDefinition } from '../plugin/define-plugin.js';
import type { PluginConfigSchema } from '../plugin/define-plugin.js';

export const silent = pino({ level: 'silent' });

/** A plugin that records its lifecycle into `log`. */
export function recordingPlugin(
  name: string,
  log: string[],
  extra: Partial<Omit<PluginDefinition<PluginConfigSchema | undefined>, 'name' | 'setup'>> & {
    setup?: PluginDefinition<PluginConfigSchema | undefined>['setup'];
  } = {},
): AnyPlugin {
  return definePlugin({
    version: '1.0.0',
    ...extra,
    name,
    async setup(ctx) {
      log.push(`setup:${name}`);
      ctx.onStart(() => {
        log.push(`start:${name}`);
      });
      ctx.onStop(() => {
        log.push(`stop:${name}`);
      });
      await extra.setup?.(ctx);
    },
  } as PluginDefinition<PluginConfigSchema | undefined>);
}
