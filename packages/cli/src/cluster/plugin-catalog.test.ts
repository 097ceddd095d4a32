import { describe, expect, it } from 'vitest';
import { defaultPluginSource, PLUGIN_CATALOG } from './plugin-catalog.js';

// Every plugin `up` places must load through the default source (its package's default export):
// a catalog plugin that cannot be imported is only reported, so a cluster would quietly run without it.

describe('PLUGIN_CATALOG', () => {
  it.each(PLUGIN_CATALOG.map((e) => e.name))('%s loads as its package default export', async (name) => {
    const plugin = await defaultPluginSource(name);
    expect(plugin.name).toBe(name);
  });
});
