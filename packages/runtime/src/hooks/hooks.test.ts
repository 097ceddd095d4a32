import { describe, expect, it } from 'vitest';
import { createNode } from '../node/create-node.js';
import { definePlugin } from '../plugin/define-plugin.js';
import { silent } from '../testing/helpers.js';
import { defineHook } from './define-hook.js';

async function nodeWith(setup: (ctx: Parameters<Parameters<typeof definePlugin>[0]['setup']>[0]) => void) {
  const node = createNode({ logger: silent, plugins: [definePlugin({ name: 'p', version: '1.0.0', setup })] });
  await node.start();
  return node;
}

describe('hook kinds', () => {
  it('series runs every tap in turn, awaiting each', async () => {
    const hook = defineHook<[log: string[]]>({ id: 't.series', kind: 'series' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, async (log) => {
        await new Promise((r) => setTimeout(r, 5));
        log.push('a');
      });
      ctx.hooks.tap(hook, (log) => {
        log.push('b');
      });
    });
    const log: string[] = [];
    await node.hooks.call(hook, log);
    expect(log).toEqual(['a', 'b']);
  });

  it('series stops at the first failing tap', async () => {
    const hook = defineHook<[log: string[]]>({ id: 't.series-fail', kind: 'series' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, () => {
        throw new Error('first');
      });
      ctx.hooks.tap(hook, (log) => {
        log.push('second');
      });
    });
    const log: string[] = [];
    await expect(node.hooks.call(hook, log)).rejects.toMatchObject({ code: 'E_HOOK_FAILED' });
    expect(log).toEqual([]);
  });

  it('waterfall passes each result to the next tap', async () => {
    const hook = defineHook<[value: number, step: number], number>({ id: 't.waterfall', kind: 'waterfall' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, (v, step) => v + step);
      ctx.hooks.tap(hook, async (v) => v * 10);
      ctx.hooks.tap(hook, (v, step) => v - step);
    });
    expect(await node.hooks.call(hook, 1, 2)).toBe(28);
    expect(node.hooks.callSync(defineHook<[v: number], number>({ id: 't.waterfall-empty', kind: 'waterfall' }), 7)).toBe(7);
  });

  it('first returns the first non-undefined result and skips the rest', async () => {
    const hook = defineHook<[n: number], string | undefined>({ id: 't.first', kind: 'first' });
    const seen: string[] = [];
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, () => {
        seen.push('observer');
        return undefined;
      });
      ctx.hooks.tap(hook, (n) => {
        seen.push('decider');
        return n > 0 ? 'positive' : undefined;
      });
      ctx.hooks.tap(hook, () => {
        seen.push('fallback');
        return 'fallback';
      });
    });
    expect(await node.hooks.call(hook, 1)).toBe('positive');
    expect(seen).toEqual(['observer', 'decider']);
    expect(node.hooks.callSync(hook, -1)).toBe('fallback');
  });

  it('first with no answer returns undefined', async () => {
    const hook = defineHook<[], number | undefined>({ id: 't.first-none', kind: 'first' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, () => undefined);
    });
    expect(await node.hooks.call(hook)).toBeUndefined();
  });

  it('parallel runs taps at once and aggregates every failure', async () => {
    const hook = defineHook<[]>({ id: 't.parallel', kind: 'parallel' });
    let running = 0;
    let maxRunning = 0;
    const node = await nodeWith((ctx) => {
      for (const name of ['a', 'b', 'c']) {
        ctx.hooks.tap(
          hook,
          async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await new Promise((r) => setTimeout(r, 10));
            running--;
            if (name !== 'b') throw new Error(`${name} failed`);
          },
          { name },
        );
      }
    });
    const err = await node.hooks.call(hook).catch((e) => e);
    expect(maxRunning).toBe(3);
    expect(err.code).toBe('E_HOOK_FAILED');
    expect(err.message).toBe("hook 't.parallel' failed in 2 of its parallel taps ('a' of plugin 'p', 'c' of plugin 'p'): a failed; c failed");
    expect(err.cause).toBeInstanceOf(AggregateError);
    expect(err.cause.errors).toHaveLength(2);
  });

  it('a hook with no taps resolves at once with the neutral value', async () => {
    const hook = defineHook<[n: number]>({ id: 't.empty', kind: 'series' });
    const node = await nodeWith(() => {});
    expect(node.hooks.hasTaps(hook)).toBe(false);
    await expect(node.hooks.call(hook, 1)).resolves.toBeUndefined();
    expect(node.hooks.callSync(hook, 1)).toBeUndefined();
  });
});

describe('tap ordering', () => {
  it('runs pre, then normal, then post; registration order within a group', async () => {
    const hook = defineHook<[log: string[]]>({ id: 't.order', kind: 'series' });
    const tap = (name: string) => (log: string[]) => {
      log.push(name);
    };
    const early = definePlugin({
      name: 'early',
      version: '1.0.0',
      setup(ctx) {
        ctx.hooks.tap(hook, tap('post-1'), { order: 'post' });
        ctx.hooks.tap(hook, tap('normal-1'));
        ctx.hooks.tap(hook, tap('pre-1'), { order: 'pre' });
      },
    });
    const late = definePlugin({
      name: 'late',
      version: '1.0.0',
      setup(ctx) {
        ctx.hooks.tap(hook, tap('pre-2'), { order: 'pre' });
        ctx.hooks.tap(hook, tap('post-2'), { order: 'post' });
        ctx.hooks.tap(hook, tap('normal-2'), { order: 'normal' });
      },
    });
    const node = createNode({ logger: silent, plugins: [early, late] });
    await node.start();
    const log: string[] = [];
    node.hooks.callSync(hook, log);
    expect(log).toEqual(['pre-1', 'pre-2', 'normal-1', 'normal-2', 'post-1', 'post-2']);
    const described = node.describe().hooks.find((h) => h.id === 't.order')!;
    expect(described.taps.map((t) => `${t.plugin}:${t.order}`)).toEqual([
      'early:pre',
      'late:pre',
      'early:normal',
      'late:normal',
      'early:post',
      'late:post',
    ]);
  });

  it('untap removes a tap; a call in progress keeps the taps it started with', async () => {
    const hook = defineHook<[log: string[]]>({ id: 't.untap', kind: 'series' });
    let untapB = () => {};
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, (log) => {
        log.push('a');
        untapB();
      });
      untapB = ctx.hooks.tap(hook, (log) => {
        log.push('b');
      });
    });
    const first: string[] = [];
    node.hooks.callSync(hook, first);
    expect(first).toEqual(['a', 'b']);
    const second: string[] = [];
    node.hooks.callSync(hook, second);
    expect(second).toEqual(['a']);
  });
});

describe('callSync', () => {
  it('refuses an async tap and names it', async () => {
    const hook = defineHook<[]>({ id: 't.sync', kind: 'series' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, async () => {}, { name: 'slow-observer' });
    });
    expect(() => node.hooks.callSync(hook)).toThrowError(
      expect.objectContaining({
        code: 'E_HOOK_ASYNC_TAP',
        plugin: 'p',
        message:
          "hook 't.sync' was called with hooks.callSync, but tap 'slow-observer' of plugin 'p' returned a Promise; make the tap synchronous or call the hook with hooks.call",
      }),
    );
  });

  it('wraps a throwing tap in E_HOOK_FAILED', async () => {
    const hook = defineHook<[]>({ id: 't.sync-throw', kind: 'series' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, () => {
        throw new TypeError('bad');
      });
    });
    expect(() => node.hooks.callSync(hook)).toThrowError(expect.objectContaining({ code: 'E_HOOK_FAILED', plugin: 'p' }));
  });
});

describe('hook ids', () => {
  it('refuses two hooks with one id and different kinds', async () => {
    const a = defineHook<[]>({ id: 't.conflict', kind: 'series' });
    const b = defineHook<[]>({ id: 't.conflict', kind: 'parallel' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(a, () => {});
    });
    expect(() => node.hooks.tap(b, () => {})).toThrowError(expect.objectContaining({ code: 'E_HOOK_CONFLICT' }));
  });

  it('refuses malformed hook definitions at runtime (for JavaScript callers)', () => {
    expect(() => defineHook<[]>({ id: 'Not Valid', kind: 'series' })).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => defineHook<[]>({ id: 'ok', kind: 'sometimes' as 'series' })).toThrowError(/use 'series', 'waterfall', 'first' or 'parallel'/);
  });
});

describe('hook metrics', () => {
  it('counts calls and errors per hook and plugin, and records durations', async () => {
    const hook = defineHook<[fail: boolean]>({ id: 't.metrics', kind: 'series' });
    const node = await nodeWith((ctx) => {
      ctx.hooks.tap(hook, (fail) => {
        if (fail) throw new Error('no');
      });
    });
    node.hooks.callSync(hook, false);
    node.hooks.callSync(hook, false);
    expect(() => node.hooks.callSync(hook, true)).toThrow();
    const text = await node.metrics.metrics();
    expect(text).toContain('hypermesh_hook_calls_total{hook="t.metrics",node="node-1"} 3');
    expect(text).toContain('hypermesh_hook_errors_total{hook="t.metrics",plugin="p",node="node-1"} 1');
    expect(text).toContain('hypermesh_hook_duration_seconds_count{hook="t.metrics",node="node-1"} 3');
    expect(text).toContain('hypermesh_plugin_state{plugin="p",state="started",node="node-1"} 1');
  });
});
