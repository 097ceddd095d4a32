import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HypermeshError, RuntimeErrorCode, isHypermeshError } from './errors.js';
import { createNode } from './node/create-node.js';
import { definePlugin } from './plugin/define-plugin.js';
import { createServiceRef } from './services/service-ref.js';
import { recordingPlugin, silent } from './testing/helpers.js';
import { RUNTIME_VERSION } from './version.js';

function thrown(fn: () => unknown): HypermeshError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HypermeshError);
    return err as HypermeshError;
  }
  throw new Error('expected a HypermeshError, nothing was thrown');
}

async function rejected(p: Promise<unknown>): Promise<HypermeshError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HypermeshError);
    return err as HypermeshError;
  }
  throw new Error('expected a rejection with HypermeshError');
}

const log: string[] = [];
const p = (name: string, extra: Parameters<typeof recordingPlugin>[2] = {}) => recordingPlugin(name, log, extra);

describe('runtime error codes and messages', () => {
  it('E_VERSION_MISMATCH names the plugin, the required range and the loaded version', () => {
    const err = thrown(() =>
      createNode({ logger: silent, plugins: [p('y', { version: '1.4.0' }), p('x', { version: '1.3.0', requires: { plugins: { y: '^2.0.0' } } })] }),
    );
    expect(err.code).toBe('E_VERSION_MISMATCH');
    expect(err.plugin).toBe('x');
    expect(err.message).toBe("plugin 'x@1.3.0' requires 'y@^2.0.0', but 'y@1.4.0' is loaded");
  });

  it('E_VERSION_MISMATCH for the runtime range', () => {
    const err = thrown(() => createNode({ logger: silent, plugins: [p('x', { requires: { runtime: '^9.0.0' } })] }));
    expect(err.code).toBe('E_VERSION_MISMATCH');
    expect(err.message).toBe(`plugin 'x@1.0.0' requires '@hypermesh/runtime@^9.0.0', but '@hypermesh/runtime@${RUNTIME_VERSION}' is loaded`);
  });

  it('E_VERSION_MISMATCH for a present optional plugin out of range', () => {
    const err = thrown(() => createNode({ logger: silent, plugins: [p('y', { version: '1.0.0' }), p('x', { optional: { y: '^2.0.0' } })] }));
    expect(err.code).toBe('E_VERSION_MISMATCH');
    expect(err.message).toMatch(/^plugin 'x@1\.0\.0' optionally uses 'y@\^2\.0\.0', but 'y@1\.0\.0' is loaded/);
  });

  it('E_DEP_MISSING says what to add', () => {
    const err = thrown(() => createNode({ logger: silent, plugins: [p('x', { requires: { plugins: { y: '^1.0.0' } } })] }));
    expect(err.code).toBe('E_DEP_MISSING');
    expect(err.plugin).toBe('x');
    expect(err.message).toBe("plugin 'x@1.0.0' requires 'y@^1.0.0', but 'y' is not loaded; add it to the plugins given to createNode");
  });

  it('E_DEP_CYCLE gives the whole path', () => {
    const err = thrown(() =>
      createNode({
        logger: silent,
        plugins: [
          p('a', { requires: { plugins: { b: '*' } } }),
          p('b', { requires: { plugins: { c: '*' } } }),
          p('c', { requires: { plugins: { a: '*' } } }),
        ],
      }),
    );
    expect(err.code).toBe('E_DEP_CYCLE');
    expect(err.message).toMatch(/^plugins depend on each other in a cycle: 'a' -> 'b' -> 'c' -> 'a' \(/);
    expect(err.details?.cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  it('E_DEP_CYCLE through services names the service', () => {
    const s1 = createServiceRef<number>({ id: 's-one', version: '1.0.0' });
    const s2 = createServiceRef<number>({ id: 's-two', version: '1.0.0' });
    const err = thrown(() =>
      createNode({
        logger: silent,
        plugins: [p('a', { provides: [s1], requires: { services: [s2] } }), p('b', { provides: [s2], requires: { services: [s1] } })],
      }),
    );
    expect(err.code).toBe('E_DEP_CYCLE');
    expect(err.message).toContain("'a' -> 'b' -> 'a'");
    expect(err.message).toContain("'a' uses service 's-two' of 'b'");
  });

  it('E_DUPLICATE_PLUGIN', () => {
    const err = thrown(() => createNode({ logger: silent, plugins: [p('x'), p('x', { version: '1.1.0' })] }));
    expect(err.code).toBe('E_DUPLICATE_PLUGIN');
    expect(err.message).toBe("plugin 'x' is listed twice ('x@1.0.0' and 'x@1.1.0'); give each plugin to createNode once");
  });

  it('E_DUPLICATE_SERVICE when two plugins provide one service and no override decides', () => {
    const ref = createServiceRef<number>({ id: 'thing', version: '1.0.0' });
    const err = thrown(() => createNode({ logger: silent, plugins: [p('a', { provides: [ref] }), p('b', { provides: [ref] })] }));
    expect(err.code).toBe('E_DUPLICATE_SERVICE');
    expect(err.message).toBe(
      "service 'thing' is provided by both 'a@1.0.0' and 'b@1.0.0'; remove one of them or choose with createNode({ overrides: [[ref, implementation]] })",
    );
  });

  it('E_SERVICE_MISSING when a required service has no provider', () => {
    const ref = createServiceRef<number>({ id: 'thing', version: '1.0.0' });
    const err = thrown(() => createNode({ logger: silent, plugins: [p('x', { requires: { services: [ref] } })] }));
    expect(err.code).toBe('E_SERVICE_MISSING');
    expect(err.message).toMatch(/^plugin 'x@1\.0\.0' requires service 'thing@1\.0\.0', but no loaded plugin provides it and no override is given;/);
  });

  it('E_SERVICE_VERSION when majors differ', () => {
    const v1 = createServiceRef<number>({ id: 'thing', version: '1.2.0' });
    const v2 = createServiceRef<number>({ id: 'thing', version: '2.0.0' });
    const err = thrown(() => createNode({ logger: silent, plugins: [p('a', { provides: [v1] }), p('x', { requires: { services: [v2] } })] }));
    expect(err.code).toBe('E_SERVICE_VERSION');
    expect(err.message).toMatch(/^plugin 'x@1\.0\.0' uses service 'thing@2\.0\.0', but plugin 'a' provides 'thing@1\.2\.0'; the major versions differ/);
  });

  it('E_CONFIG_INVALID lists every issue with its full path', () => {
    const a = definePlugin({
      name: '@acme/a',
      version: '1.0.0',
      config: z.object({ port: z.number().int().max(65535), cache: z.object({ entries: z.number() }) }),
      setup() {},
    });
    const err = thrown(() =>
      createNode({ logger: silent, plugins: [a], config: { '@acme/a': { port: 70000, cache: { entries: 'many' } }, '@acme/typo': {} } }),
    );
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.plugin).toBe('@acme/a');
    expect(err.message.split('\n')).toEqual([
      'config is invalid (3 problems):',
      "  - config['@acme/typo']: no loaded plugin is named '@acme/typo' (loaded: @acme/a)",
      "  - config['@acme/a'].port: Too big: expected number to be <=65535",
      "  - config['@acme/a'].cache.entries: Invalid input: expected number, received string",
    ]);
  });

  it('E_HOOK_FAILED keeps the cause and names plugin and hook', async () => {
    const { defineHook } = await import('./hooks/define-hook.js');
    const hook = defineHook<[n: number]>({ id: 'test.fail', kind: 'series' });
    const cause = new Error('boom');
    const node = createNode({
      logger: silent,
      plugins: [
        definePlugin({
          name: 'tapper',
          version: '1.0.0',
          setup(ctx) {
            ctx.hooks.tap(hook, function explode() {
              throw cause;
            });
          },
        }),
      ],
    });
    await node.start();
    const err = await rejected(node.hooks.call(hook, 1));
    expect(err.code).toBe('E_HOOK_FAILED');
    expect(err.plugin).toBe('tapper');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("hook 'test.fail' failed in tap 'explode' of plugin 'tapper': boom");
    await node.stop();
  });

  it('E_HOOK_TIMEOUT names the taps still running when an async hook call hangs', async () => {
    const { defineHook } = await import('./hooks/define-hook.js');
    const hook = defineHook<[]>({ id: 'test.hang', kind: 'parallel' });
    const node = createNode({
      logger: silent,
      hookTimeoutMs: 40,
      plugins: [
        definePlugin({
          name: 'hanger',
          version: '1.0.0',
          setup(ctx) {
            ctx.hooks.tap(hook, () => new Promise<void>(() => undefined), { name: 'never' });
            ctx.hooks.tap(hook, async () => {}, { name: 'quick' });
          },
        }),
      ],
    });
    await node.start();
    const err = await rejected(node.hooks.call(hook));
    expect(err.code).toBe('E_HOOK_TIMEOUT');
    expect(err.plugin).toBe('hanger');
    expect(err.message).toBe(
      "hook 'test.hang' did not finish within 40 ms: tap 'never' of plugin 'hanger' is still running; it may be waiting for something that never happens (the limit is createNode's hookTimeoutMs)",
    );
    await node.stop();
  });

  it('E_HOOK_CONFLICT when two hooks share an id but not a kind', async () => {
    const { defineHook } = await import('./hooks/define-hook.js');
    const node = createNode({ logger: silent, plugins: [] });
    await node.start();
    node.hooks.tap(defineHook<[]>({ id: 'test.same', kind: 'series' }), () => {});
    const err = thrown(() => node.hooks.tap(defineHook<[]>({ id: 'test.same', kind: 'parallel' }), () => {}));
    expect(err.code).toBe('E_HOOK_CONFLICT');
    expect(err.message).toBe(
      "hook 'test.same' is used as kind 'parallel' here but was first defined as kind 'series'; two packages define the same hook id differently — rename one of them",
    );
  });

  it('E_START_TIMEOUT for a hung start, after stopping what started', async () => {
    const order: string[] = [];
    const hung = definePlugin({
      name: 'hung',
      version: '1.0.0',
      setup(ctx) {
        ctx.onStart(() => new Promise(() => undefined));
      },
    });
    const node = createNode({ logger: silent, startTimeoutMs: 50, plugins: [recordingPlugin('first', order), hung] });
    const err = await rejected(node.start());
    expect(err.code).toBe('E_START_TIMEOUT');
    expect(err.plugin).toBe('hung');
    expect(err.message).toMatch(/^plugin 'hung@1\.0\.0' did not finish its start within 50 ms;/);
    expect(order).toEqual(['setup:first', 'start:first', 'stop:first']);
    expect(node.state).toBe('failed');
  });

  it('E_START_FAILED keeps the cause and names the phase', async () => {
    const cause = new Error('port in use');
    const bad = definePlugin({
      name: 'bad',
      version: '1.0.0',
      setup() {
        throw cause;
      },
    });
    const node = createNode({ logger: silent, plugins: [bad] });
    const err = await rejected(node.start());
    expect(err.code).toBe('E_START_FAILED');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("plugin 'bad@1.0.0' failed during setup: port in use; nothing else had been set up");
  });

  it('E_PLUGIN_INVALID for malformed manifests', () => {
    expect(thrown(() => definePlugin({ name: 'Bad Name', version: '1.0.0', setup() {} })).code).toBe('E_PLUGIN_INVALID');
    expect(thrown(() => definePlugin({ name: 'ok', version: 'one', setup() {} })).message).toBe(
      "definePlugin: plugin 'ok' has version \"one\", which is not semver (e.g. '1.0.0')",
    );
    expect(thrown(() => definePlugin({ name: 'ok', version: '1.0.0', requires: { plugins: { y: 'not a range!' } }, setup() {} })).message).toContain(
      "requires.plugins['y']",
    );
  });

  it('isHypermeshError narrows by code', () => {
    const err = new HypermeshError(RuntimeErrorCode.NodeState, 'x');
    expect(isHypermeshError(err, 'E_NODE_STATE')).toBe(true);
    expect(isHypermeshError(err, 'E_DEP_CYCLE')).toBe(false);
    expect(isHypermeshError(new Error('x'))).toBe(false);
  });
});
