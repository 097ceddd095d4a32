import type { Logger } from 'pino';
import { HypermeshError, RuntimeErrorCode, messageOf, pluginLabel } from '../errors.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import type { PluginMetrics, PluginState } from '../metrics/node-metrics.js';
import type { HealthReport, LifecycleHandler, PluginContext } from '../plugin/context.js';
import type { AnyPlugin } from '../plugin/define-plugin.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { AnyServiceRef } from '../services/service-ref.js';
import type { NodeHealth, NodeState } from './create-node.js';

/** @internal The runtime's bookkeeping for one plugin on one node. */
export interface PluginRecord {
  readonly plugin: AnyPlugin;
  state: PluginState;
  readonly config: unknown;
  readonly startHandlers: LifecycleHandler[];
  readonly stopHandlers: LifecycleHandler[];
  healthCheck: (() => HealthReport | Promise<HealthReport>) | undefined;
  readonly abort: AbortController;
}

interface LifecycleOptions {
  nodeId: string;
  records: PluginRecord[];
  services: ServiceRegistry;
  hooks: HookRegistry;
  logger: Logger;
  makeMetrics: (plugin: string) => PluginMetrics;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

type Phase = 'setup' | 'start' | 'stop' | 'health check';

const HEALTH_TIMEOUT_MS = 5_000;
const STATUS_RANK: Record<HealthReport['status'], number> = { ok: 0, degraded: 1, down: 2 };

/** @internal Setup, start, stop and health of a node's plugins. */
export class Lifecycle {
  state: NodeState = 'created';
  /** True once every plugin's setup has run, i.e. services exist. */
  setUp = false;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly o: LifecycleOptions) {}

  start(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(
        new HypermeshError(
          RuntimeErrorCode.NodeState,
          `node '${this.o.nodeId}' was stopped and cannot start again; create a new node with createNode`,
        ),
      );
    }
    this.startPromise ??= this.runStart();
    return this.startPromise;
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.runStop();
    return this.stopPromise;
  }

  private async runStart(): Promise<void> {
    this.state = 'starting';
    let current: PluginRecord | undefined;
    let phase: Phase = 'setup';
    try {
      for (const record of this.o.records) {
        current = record;
        record.state = 'setting-up';
        const ctx = this.context(record);
        await this.withTimeout(record, 'setup', this.o.startTimeoutMs, () => record.plugin.setup(ctx));
        const missing = this.o.services.unprovided(record.plugin.name);
        if (missing.length > 0) {
          throw new HypermeshError(
            RuntimeErrorCode.ServiceMissing,
            `plugin ${label(record)} declares it provides ${missing.map((r) => `'${r.id}'`).join(', ')} but did not call ctx.provide for it during setup`,
            { plugin: record.plugin.name },
          );
        }
        record.state = 'ready';
      }
      this.setUp = true;
      phase = 'start';
      for (const record of this.o.records) {
        current = record;
        record.state = 'starting';
        for (const handler of record.startHandlers) {
          await this.withTimeout(record, 'start', this.o.startTimeoutMs, handler);
        }
        record.state = 'started';
      }
      this.state = 'started';
      this.o.logger.info({ plugins: this.o.records.map((r) => `${r.plugin.name}@${r.plugin.version}`) }, 'node started');
    } catch (err) {
      if (current !== undefined) current.state = 'failed';
      const touched = this.o.records.filter((r) => r.state !== 'registered');
      const stopped = touched.filter((r) => r !== current).reverse().map((r) => `'${r.plugin.name}'`);
      const problems = await this.stopRecords(touched);
      this.state = 'failed';
      const rollback =
        stopped.length > 0 ? `what had been set up was stopped in reverse order (${stopped.join(', ')})` : 'nothing else had been set up';
      const tail = problems.length > 0 ? `; ${problems.length} stop handler(s) failed during the rollback: ${problems.map(messageOf).join('; ')}` : '';
      if (err instanceof HypermeshError && err.code === RuntimeErrorCode.StartTimeout) {
        throw new HypermeshError(err.code, `${err.message}; ${rollback}${tail}`, { plugin: err.plugin, cause: err.cause, details: err.details });
      }
      const who = current === undefined ? 'the node' : `plugin ${label(current)}`;
      throw new HypermeshError(
        RuntimeErrorCode.StartFailed,
        `${who} failed during ${phase}: ${messageOf(err)}; ${rollback}${tail}`,
        { plugin: current?.plugin.name, cause: err, details: { phase } },
      );
    }
  }

  private async runStop(): Promise<void> {
    if (this.startPromise !== undefined) await this.startPromise.catch(() => undefined);
    if (this.state === 'failed') return; // the failed start already rolled back
    this.state = 'stopping';
    const problems = await this.stopRecords(this.o.records.filter((r) => r.state !== 'registered'));
    this.state = 'stopped';
    if (problems.length > 0) {
      throw new HypermeshError(
        RuntimeErrorCode.StopFailed,
        `node '${this.o.nodeId}' stopped, but ${problems.length} plugin stop handler(s) failed: ${problems.map(messageOf).join('; ')}`,
        { plugin: problems[0]?.plugin, cause: new AggregateError(problems, 'stop handlers failed') },
      );
    }
    this.o.logger.info('node stopped');
  }

  /** Stops records in reverse order; every handler runs even if an earlier one fails. */
  private async stopRecords(records: readonly PluginRecord[]): Promise<HypermeshError[]> {
    const problems: HypermeshError[] = [];
    for (const record of [...records].reverse()) {
      const failed = record.state === 'failed';
      if (!failed) record.state = 'stopping';
      record.abort.abort(new HypermeshError(RuntimeErrorCode.NodeState, `node '${this.o.nodeId}' is stopping`));
      for (const handler of [...record.stopHandlers].reverse()) {
        try {
          await this.withTimeout(record, 'stop', this.o.stopTimeoutMs, handler);
        } catch (err) {
          const problem =
            err instanceof HypermeshError && err.code === RuntimeErrorCode.StartTimeout
              ? new HypermeshError(RuntimeErrorCode.StopFailed, err.message, { plugin: record.plugin.name })
              : new HypermeshError(RuntimeErrorCode.StopFailed, `plugin ${label(record)} failed to stop: ${messageOf(err)}`, {
                  plugin: record.plugin.name,
                  cause: err,
                });
          this.o.logger.error({ plugin: record.plugin.name, err }, problem.message);
          problems.push(problem);
        }
      }
      if (!failed) record.state = 'stopped';
    }
    return problems;
  }

  private async withTimeout(record: PluginRecord, phase: Phase, ms: number, fn: () => unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HypermeshError(
          RuntimeErrorCode.StartTimeout,
          `plugin ${label(record)} did not finish its ${phase} within ${ms} ms; it is probably waiting for something that never happens — check its dependencies, or raise ${phase === 'stop' ? 'stopTimeoutMs' : 'startTimeoutMs'} if it is just slow`,
          { plugin: record.plugin.name, details: { phase, timeoutMs: ms } },
        );
        if (phase !== 'stop') record.abort.abort(error);
        reject(error);
      }, ms);
    });
    try {
      await Promise.race([Promise.resolve().then(fn), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private context(record: PluginRecord): PluginContext<unknown> {
    const { plugin } = record;
    const { services, hooks } = this.o;
    const declaredUses: readonly AnyServiceRef[] = [...plugin.requires.services, ...plugin.optionalServices];
    const duringSetup = (what: string) => {
      if (record.state !== 'setting-up') {
        throw new HypermeshError(
          RuntimeErrorCode.NodeState,
          `plugin ${label(record)} called ctx.${what} after its setup finished; call it inside setup(ctx)`,
          { plugin: plugin.name },
        );
      }
    };
    return {
      name: plugin.name,
      version: plugin.version,
      nodeId: this.o.nodeId,
      config: record.config,
      logger: this.o.logger.child({ plugin: plugin.name }),
      metrics: this.o.makeMetrics(plugin.name),
      hooks: hooks.api(plugin.name),
      signal: record.abort.signal,
      provide: (ref: AnyServiceRef, implementation: unknown) => {
        duringSetup('provide');
        services.provide(plugin.name, plugin.provides, ref, implementation);
      },
      use: (ref) => services.get(plugin.name, ref, false, declaredUses) as never,
      useOptional: (ref) => services.get(plugin.name, ref, true, declaredUses) as never,
      onStart: (fn) => {
        duringSetup('onStart');
        record.startHandlers.push(fn);
      },
      onStop: (fn) => {
        record.stopHandlers.push(fn);
      },
      onHealthCheck: (fn) => {
        record.healthCheck = fn;
      },
    };
  }

  async health(): Promise<NodeHealth> {
    const plugins = await Promise.all(
      this.o.records.map(async (record) => {
        const base = { name: record.plugin.name, state: record.state };
        if (record.state !== 'started') {
          return { ...base, status: 'down' as const, detail: `plugin is ${record.state}` };
        }
        if (record.healthCheck === undefined) return { ...base, status: 'ok' as const };
        try {
          let report: HealthReport | undefined;
          await this.withTimeout(record, 'health check', HEALTH_TIMEOUT_MS, async () => {
            report = await record.healthCheck!();
          });
          return { ...base, status: report!.status, detail: report!.detail };
        } catch (err) {
          return { ...base, status: 'down' as const, detail: `health check failed: ${messageOf(err)}` };
        }
      }),
    );
    let status: HealthReport['status'] = this.state === 'started' ? 'ok' : 'down';
    for (const p of plugins) if (STATUS_RANK[p.status] > STATUS_RANK[status]) status = p.status;
    return { status, nodeId: this.o.nodeId, state: this.state, plugins };
  }
}

function label(record: PluginRecord): string {
  return pluginLabel(record.plugin.name, record.plugin.version);
}
