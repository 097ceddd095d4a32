// Type-level tests: these lines must (or must not) compile. `npm run typecheck` checks them; the
// runtime assertions keep vitest honest about the values.
import { describe, expectTypeOf, it } from 'vitest';
import { createNode } from '../node/create-node.js';
import { definePlugin } from '../plugin/define-plugin.js';
import { createServiceRef } from '../services/service-ref.js';
import { silent } from '../testing/helpers.js';
import { defineHook, type HookRef } from './define-hook.js';

interface Query {
  name: string;
}
interface Greeter {
  greet(name: string): string;
}
const queryHook = defineHook<[query: Query], string | undefined>({ id: 'types.query', kind: 'first' });
const greeterRef = createServiceRef<Greeter>({ id: 'types-greeter', version: '1.0.0' });

describe('typed hooks and services', () => {
  it('hook kinds are checked against the declared result', () => {
    defineHook<[n: number]>({ id: 'types.a', kind: 'series' });
    defineHook<[n: number]>({ id: 'types.b', kind: 'parallel' });
    defineHook<[n: number], number>({ id: 'types.c', kind: 'waterfall' });
    defineHook<[n: number], number | undefined>({ id: 'types.d', kind: 'first' });
    // @ts-expect-error a `first` hook must allow undefined (no tap answered)
    defineHook<[n: number], number>({ id: 'types.e', kind: 'first' });
    // @ts-expect-error a waterfall's result must be its first argument's type
    defineHook<[n: number], string>({ id: 'types.f', kind: 'waterfall' });
    // @ts-expect-error a series hook returns nothing
    defineHook<[n: number], number>({ id: 'types.g', kind: 'series' });
    expectTypeOf(queryHook).toEqualTypeOf<HookRef<[query: Query], string | undefined>>();
  });

  it('taps must match the hook', () => {
    definePlugin({
      name: 'types-plugin',
      version: '1.0.0',
      provides: [greeterRef],
      setup(ctx) {
        ctx.hooks.tap(queryHook, (q) => (q.name.endsWith('.bad') ? 'refused' : undefined));
        // @ts-expect-error the tap's argument is a Query, not a number
        ctx.hooks.tap(queryHook, (q: number) => String(q));
        // @ts-expect-error the tap must return string | undefined
        ctx.hooks.tap(queryHook, () => 42);
        expectTypeOf(ctx.hooks.call(queryHook, { name: 'x' })).toEqualTypeOf<Promise<string | undefined>>();
        // @ts-expect-error the hook is called with a Query
        void ctx.hooks.call(queryHook, 'x');

        ctx.provide(greeterRef, { greet: (n) => `hi ${n}` });
        // @ts-expect-error the implementation does not satisfy Greeter
        ctx.provide(greeterRef, { greet: (n: number) => n });
        expectTypeOf(ctx.use(greeterRef)).toEqualTypeOf<Greeter>();
        expectTypeOf(ctx.useOptional(greeterRef)).toEqualTypeOf<Greeter | undefined>();
      },
    });
  });

  it('overrides are checked against their ref', () => {
    const make = () =>
      createNode({ logger: silent, plugins: [], overrides: [[greeterRef, { greet: (n: string) => n }]] as const });
    expectTypeOf(make).returns.toHaveProperty('get');
    // @ts-expect-error the override does not implement Greeter
    createNode({ logger: silent, plugins: [], overrides: [[greeterRef, { greet: 1 }]] as const });
  });

  it('plugin-scoped refs take a factory', () => {
    const scoped = createServiceRef<{ who: string }>({ id: 'types-scoped', version: '1.0.0', scope: 'plugin' });
    definePlugin({
      name: 'types-scoped',
      version: '1.0.0',
      provides: [scoped],
      setup(ctx) {
        ctx.provide(scoped, (consumer) => ({ who: consumer.plugin }));
        // @ts-expect-error plugin-scoped refs take a factory, not an instance
        ctx.provide(scoped, { who: 'x' });
      },
    });
  });

  it('config is typed from the schema', async () => {
    const { z } = await import('zod');
    definePlugin({
      name: 'types-config',
      version: '1.0.0',
      config: z.object({ port: z.number().default(53) }),
      setup(ctx) {
        expectTypeOf(ctx.config).toEqualTypeOf<{ port: number }>();
      },
    });
  });
});
