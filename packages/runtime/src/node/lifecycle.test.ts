import { describe, expect, it } from 'vitest';
import { definePlugin } from '../plugin/define-plugin.js';
import { createServiceRef } from '../services/service-ref.js';
import { recordingPlugin, silent } from '../testing/helpers.js';
import { createNode } from './create-node.js';

const serviceA = createServiceRef<{ value: number }>({ id: 'svc-a', version: '1.0.0' });

describe('boot order', () => {
  it('sorts by dependencies; ties keep the integrator order; stops in reverse', async () => {
    const log: string[] = [];
    const node = createNode({
      logger: silent,
      plugins: [
        recordingPlugin('c', log, { requires: { plugins: { b: '^1.0.0' } } }),
        recordingPlugin('x', log),
        recordingPlugin('b', log, { requires: { services: [serviceA] } }),
        recordingPlugin('a', log, {
          provides: [serviceA],
          setup: (ctx) => ctx.provide(serviceA, { value: 1 }),
        }),
      ],
    });
    expect(node.describe().plugins.map((p) => p.name)).toEqual(['x', 'a', 'b', 'c']);
    await node.start();
    await node.stop();
    expect(log).toEqual([
      'setup:x',
      'setup:a',
      'setup:b',
      'setup:c',
      'start:x',
      'start:a',
      'start:b',
      'start:c',
      'stop:c',
      'stop:b',
      'stop:a',
      'stop:x',
    ]);
  });

  it('orders after a present optional plugin and ignores an absent one', () => {
    const log: string[] = [];
    const node = createNode({
      logger: silent,
      plugins: [recordingPlugin('user', log, { optional: { helper: '^1.0.0', absent: '^1.0.0' } }), recordingPlugin('helper', log)],
    });
    expect(node.describe().plugins.map((p) => p.name)).toEqual(['helper', 'user']);
  });
});

describe('start rollback', () => {
  it('stops in reverse what had started when a later start handler fails', async () => {
    const log: string[] = [];
    const failing = definePlugin({
      name: 'failing',
      version: '2.0.0',
      setup(ctx) {
        ctx.onStop(() => {
          log.push('stop:failing');
        });
        ctx.onStart(() => {
          throw new Error('cannot bind');
        });
      },
    });
    const node = createNode({ logger: silent, plugins: [recordingPlugin('one', log), recordingPlugin('two', log), failing] });
    const err = await node.start().catch((e) => e);
    expect(err.code).toBe('E_START_FAILED');
    expect(err.message).toBe(
      "plugin 'failing@2.0.0' failed during start: cannot bind; what had been set up was stopped in reverse order ('two', 'one')",
    );
    expect(log).toEqual(['setup:one', 'setup:two', 'start:one', 'start:two', 'stop:failing', 'stop:two', 'stop:one']);
    expect(node.describe().plugins.map((p) => p.state)).toEqual(['stopped', 'stopped', 'failed']);
    await expect(node.stop()).resolves.toBeUndefined();
    await expect(node.start()).rejects.toMatchObject({ code: 'E_START_FAILED' });
  });

  it('a plugin that declares a service but does not provide it fails the start', async () => {
    const lazy = definePlugin({ name: 'lazy', version: '1.0.0', provides: [serviceA], setup() {} });
    const err = await createNode({ logger: silent, plugins: [lazy] })
      .start()
      .catch((e) => e);
    expect(err.code).toBe('E_START_FAILED');
    expect(err.cause.code).toBe('E_SERVICE_MISSING');
    expect(err.message).toContain("declares it provides 'svc-a' but did not call ctx.provide");
  });
});

describe('stop', () => {
  it('is idempotent and aborts ctx.signal before stop handlers run', async () => {
    let abortedBeforeStop: boolean | undefined;
    let stops = 0;
    const plugin = definePlugin({
      name: 'sig',
      version: '1.0.0',
      setup(ctx) {
        ctx.onStop(() => {
          abortedBeforeStop = ctx.signal.aborted;
          stops++;
        });
      },
    });
    const node = createNode({ logger: silent, plugins: [plugin] });
    await node.start();
    const first = node.stop();
    const second = node.stop();
    expect(first).toBe(second);
    await first;
    await node.stop();
    expect(stops).toBe(1);
    expect(abortedBeforeStop).toBe(true);
    expect(node.state).toBe('stopped');
  });

  it('runs every stop handler even when one fails, then reports E_STOP_FAILED', async () => {
    const log: string[] = [];
    const broken = definePlugin({
      name: 'broken',
      version: '1.0.0',
      setup(ctx) {
        ctx.onStop(() => {
          throw new Error('socket already closed');
        });
      },
    });
    const node = createNode({ logger: silent, plugins: [recordingPlugin('first', log), broken] });
    await node.start();
    const err = await node.stop().catch((e) => e);
    expect(err.code).toBe('E_STOP_FAILED');
    expect(err.message).toContain("plugin 'broken@1.0.0' failed to stop: socket already closed");
    expect(log).toContain('stop:first');
  });

  it('a stop handler that hangs is abandoned after stopTimeoutMs', async () => {
    const hung = definePlugin({
      name: 'hung-stop',
      version: '1.0.0',
      setup(ctx) {
        ctx.onStop(() => new Promise(() => undefined));
      },
    });
    const node = createNode({ logger: silent, stopTimeoutMs: 30, plugins: [hung] });
    await node.start();
    await expect(node.stop()).rejects.toMatchObject({ code: 'E_STOP_FAILED' });
    expect(node.state).toBe('stopped');
  });

  it('stopping a node that never started just marks it stopped', async () => {
    const node = createNode({ logger: silent, plugins: [] });
    await node.stop();
    expect(node.state).toBe('stopped');
    await expect(node.start()).rejects.toMatchObject({ code: 'E_NODE_STATE' });
  });
});

describe('health and describe', () => {
  it('reports the worst plugin status and each detail', async () => {
    const degraded = definePlugin({
      name: 'degraded',
      version: '1.0.0',
      setup(ctx) {
        ctx.onHealthCheck(() => ({ status: 'degraded', detail: '1 of 2 upstreams unreachable' }));
      },
    });
    const node = createNode({ logger: silent, plugins: [recordingPlugin('fine', []), degraded] });
    expect((await node.health()).status).toBe('down');
    await node.start();
    const health = await node.health();
    expect(health.status).toBe('degraded');
    expect(health.plugins).toEqual([
      { name: 'fine', state: 'started', status: 'ok' },
      { name: 'degraded', state: 'started', status: 'degraded', detail: '1 of 2 upstreams unreachable' },
    ]);
    await node.stop();
  });

  it('describe lists plugins in boot order, services with providers and consumers, hooks with taps', async () => {
    const provider = definePlugin({
      name: '@acme/provider',
      version: '1.2.3',
      description: 'provides svc-a',
      provides: [serviceA],
      setup: (ctx) => ctx.provide(serviceA, { value: 7 }),
    });
    const consumer = definePlugin({
      name: '@acme/consumer',
      version: '0.1.0',
      requires: { services: [serviceA] },
      setup: (ctx) => {
        expect(ctx.use(serviceA).value).toBe(7);
      },
    });
    const node = createNode({ id: 'n7', logger: silent, plugins: [consumer, provider] });
    await node.start();
    const d = node.describe();
    expect(d.nodeId).toBe('n7');
    expect(d.state).toBe('started');
    expect(d.plugins.map((p) => `${p.name}@${p.version}:${p.state}`)).toEqual(['@acme/provider@1.2.3:started', '@acme/consumer@0.1.0:started']);
    expect(d.services.find((s) => s.id === 'svc-a')).toEqual({
      id: 'svc-a',
      version: '1.0.0',
      scope: 'node',
      provider: '@acme/provider',
      shadowed: [],
      consumers: ['@acme/consumer'],
    });
    expect(d.services.find((s) => s.id === 'clock')?.provider).toBe('<runtime>');
    await node.stop();
  });

  it('node.get before start says to start first', () => {
    const node = createNode({ logger: silent, plugins: [] });
    expect(() => node.get(serviceA)).toThrowError(expect.objectContaining({ code: 'E_NODE_STATE' }));
  });
});
