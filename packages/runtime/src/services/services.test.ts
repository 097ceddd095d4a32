import { describe, expect, it } from 'vitest';
import { clockRef, systemClock } from '../contracts/clock.js';
import { createNode } from '../node/create-node.js';
import { definePlugin } from '../plugin/define-plugin.js';
import { silent } from '../testing/helpers.js';
import { createServiceRef } from './service-ref.js';

interface Counter {
  next(): number;
}
const counterRef = createServiceRef<Counter>({ id: 'counter', version: '1.0.0' });

function counterPlugin(name: string, start: number) {
  return definePlugin({
    name,
    version: '1.0.0',
    provides: [counterRef],
    setup(ctx) {
      let n = start;
      ctx.provide(counterRef, { next: () => n++ });
    },
  });
}

describe('service refs', () => {
  it('a consumer gets the provider’s instance, in setup and through node.get', async () => {
    let seenInSetup: number | undefined;
    const consumer = definePlugin({
      name: 'consumer',
      version: '1.0.0',
      requires: { services: [counterRef] },
      setup(ctx) {
        seenInSetup = ctx.use(counterRef).next();
      },
    });
    const node = createNode({ logger: silent, plugins: [consumer, counterPlugin('provider', 10)] });
    await node.start();
    expect(seenInSetup).toBe(10);
    expect(node.get(counterRef).next()).toBe(11);
    await node.stop();
  });

  it('an integrator override wins over the plugin provider, which is then shadowed', async () => {
    const node = createNode({
      logger: silent,
      plugins: [counterPlugin('provider', 10)],
      overrides: [[counterRef, { next: () => 99 }]],
    });
    await node.start();
    expect(node.get(counterRef).next()).toBe(99);
    const described = node.describe().services.find((s) => s.id === 'counter')!;
    expect(described.provider).toBe('<integrator>');
    expect(described.shadowed).toEqual(['provider']);
    await node.stop();
  });

  it('an override resolves two providers of one service', async () => {
    const node = createNode({
      logger: silent,
      plugins: [counterPlugin('one', 1), counterPlugin('two', 2)],
      overrides: [[counterRef, { next: () => 0 }]],
    });
    await node.start();
    expect(node.get(counterRef).next()).toBe(0);
    await node.stop();
  });

  it('an override can replace the runtime clock', async () => {
    const fake = { ...systemClock, now: () => 1234 };
    let seen = 0;
    const reader = definePlugin({
      name: 'reader',
      version: '1.0.0',
      setup(ctx) {
        seen = ctx.use(clockRef).now();
      },
    });
    const node = createNode({ logger: silent, plugins: [reader], overrides: [[clockRef, fake]] });
    await node.start();
    expect(seen).toBe(1234);
    await node.stop();
  });

  it('useOptional returns undefined without a provider and the service with one', async () => {
    const seen: (number | undefined)[] = [];
    const user = definePlugin({
      name: 'user',
      version: '1.0.0',
      optionalServices: [counterRef],
      setup(ctx) {
        seen.push(ctx.useOptional(counterRef)?.next());
      },
    });
    await createNode({ logger: silent, plugins: [user] }).start();
    await createNode({ logger: silent, plugins: [user, counterPlugin('p', 5)] }).start();
    expect(seen).toEqual([undefined, 5]);
  });

  it('using or providing an undeclared service is an error that says what to declare', async () => {
    const sneaky = definePlugin({
      name: 'sneaky',
      version: '1.0.0',
      setup(ctx) {
        ctx.use(counterRef);
      },
    });
    const err = await createNode({ logger: silent, plugins: [sneaky, counterPlugin('p', 1)] })
      .start()
      .catch((e) => e);
    expect(err.cause.code).toBe('E_SERVICE_UNDECLARED');
    expect(err.cause.message).toBe(
      "plugin 'sneaky' called ctx.use('counter') but does not declare it; add the ref to the plugin's 'requires.services' so the runtime can order plugins and check the provider",
    );

    const provider = definePlugin({
      name: 'undeclared-provider',
      version: '1.0.0',
      setup(ctx) {
        ctx.provide(counterRef, { next: () => 1 });
      },
    });
    const err2 = await createNode({ logger: silent, plugins: [provider] })
      .start()
      .catch((e) => e);
    expect(err2.cause.code).toBe('E_SERVICE_UNDECLARED');
  });

  it('plugin-scoped services give each consumer its own instance', async () => {
    const scoped = createServiceRef<{ owner: string }>({ id: 'scoped', version: '1.0.0', scope: 'plugin' });
    const owners: string[] = [];
    const provider = definePlugin({
      name: 'provider',
      version: '1.0.0',
      provides: [scoped],
      setup(ctx) {
        ctx.provide(scoped, (consumer) => ({ owner: consumer.plugin }));
      },
    });
    const mk = (name: string) =>
      definePlugin({
        name,
        version: '1.0.0',
        requires: { services: [scoped] },
        setup(ctx) {
          owners.push(ctx.use(scoped).owner);
          expect(ctx.use(scoped)).toBe(ctx.use(scoped));
        },
      });
    const node = createNode({ logger: silent, plugins: [provider, mk('alpha'), mk('beta')] });
    await node.start();
    expect(owners).toEqual(['alpha', 'beta']);
    expect(node.get(scoped).owner).toBe('<integrator>');
  });

  it('refs are validated', () => {
    expect(() => createServiceRef<number>({ id: 'Bad Id', version: '1.0.0' })).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => createServiceRef<number>({ id: 'ok', version: 'v1' })).toThrowError(/not semver/);
  });

  it('a minor version difference between consumer and provider is fine', async () => {
    const newer = createServiceRef<Counter>({ id: 'counter', version: '1.4.0' });
    const consumer = definePlugin({
      name: 'c',
      version: '1.0.0',
      requires: { services: [newer] },
      setup(ctx) {
        expect(ctx.use(newer).next()).toBe(3);
      },
    });
    await createNode({ logger: silent, plugins: [counterPlugin('p', 3), consumer] }).start();
  });
});
