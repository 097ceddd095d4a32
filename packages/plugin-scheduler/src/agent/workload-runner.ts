import type { ClockService, TimerHandle } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import type { Container, ContainerExit, ContainerRuntime } from '../containers/container-runtime.js';
import type { NamespacedSpec, RunReport } from '../state/cluster-state.js';
import { HEALTH_DEFAULTS, runHealthCheck } from './health-check.js';
import type { LogBuffer } from './log-buffer.js';
import { isFailure, restartDelay, shouldRestart, type BackoffSettings } from './restart-policy.js';

/** What a runner needs from its agent. */
export interface RunnerContext {
  readonly clock: ClockService;
  readonly logger: Logger;
  /** The runtime for this workload (its `runtime` field, or the node's choice for `auto`). */
  readonly runtime: ContainerRuntime;
  /** Output and agent events of the workload. */
  readonly logs: LogBuffer;
  /** The address its ports are reachable at (the node's). */
  readonly address: string;
  /** Prefix of its container ids (per node, so a restarted agent can clean up after itself). */
  readonly idPrefix: string;
  readonly backoff: BackoffSettings;
  readonly stopGraceMs: number;
  /** Tells the cluster (through consensus) how the workload runs; called only on changes. */
  report(run: RunReport): void;
  /** Counts restarts and health-check failures. */
  onRestart(): void;
  onHealthFailure(kind: string): void;
}

const slug = (key: string) => key.replace(/[^a-z0-9-]/g, '-').slice(0, 60);

/**
 * Runs one generation of one workload on this node: starts its container, watches it, runs its
 * health check, restarts it per its restart policy with exponential back-off, and reports each
 * change. Level-triggered from the agent: the agent creates a runner for every (workload,
 * generation) bound here and stops runners that are no longer wanted.
 */
export class WorkloadRunner {
  private container: Container | undefined;
  private restarts = 0;
  private consecutive = 0;
  private startedAt = 0;
  private stopped = false;
  private timer: TimerHandle | undefined;
  private healthTimer: TimerHandle | undefined;
  private healthFailures = 0;
  private healthInFlight = false;
  private killedForHealth = false;
  private health: RunReport['health'];
  private lastReport = '';
  private done: Promise<void> = Promise.resolve();
  private launching: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: RunnerContext,
    readonly key: string,
    readonly generation: number,
    readonly spec: NamespacedSpec,
  ) {
    this.health = spec.healthCheck === undefined ? undefined : 'unknown';
  }

  /** Starts the first container. */
  start(): void {
    this.launching = this.launch();
  }

  /** Stops the container (SIGTERM, then SIGKILL after the grace period) and removes it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    await this.launching;
    const container = this.container;
    if (container !== undefined) {
      await container.stop(this.ctx.stopGraceMs).catch(() => undefined);
    }
    await this.done;
  }

  private system(text: string): void {
    this.ctx.logs.push({ at: this.ctx.clock.now(), stream: 'system', text });
  }

  private send(run: RunReport): void {
    const json = JSON.stringify(run);
    if (json === this.lastReport) return;
    this.lastReport = json;
    this.ctx.report(run);
  }

  private base(): Pick<RunReport, 'restarts' | 'runtime' | 'health' | 'address'> {
    return {
      restarts: this.restarts,
      runtime: this.ctx.runtime.name,
      ...(this.health === undefined ? {} : { health: this.health }),
      ...(this.spec.network === 'none' ? {} : { address: this.ctx.address }),
    };
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    const id = `${this.ctx.idPrefix}${slug(this.key)}-g${this.generation}-r${this.restarts}-${this.ctx.clock.now().toString(36)}`;
    let container: Container;
    try {
      container = await this.ctx.runtime.start({
        id,
        owner: this.ctx.idPrefix,
        hostname: this.spec.name,
        command: this.spec.command,
        env: this.spec.env ?? {},
        resources: this.spec.resources,
        ...(this.spec.rootfs === undefined ? {} : { rootfs: this.spec.rootfs }),
        capabilities: this.spec.capabilities ?? [],
        network: this.spec.network ?? 'host',
        onOutput: (stream, text) => this.ctx.logs.push({ at: this.ctx.clock.now(), stream, text }),
      });
    } catch (err) {
      this.system(`could not start: ${(err as Error).message}`);
      this.afterExit({ code: null, signal: null, oomKilled: false, reason: `could not start: ${(err as Error).message}` });
      return;
    }
    if (this.stopped) {
      await container.stop(0).catch(() => undefined);
      await container.remove();
      return;
    }
    this.container = container;
    this.startedAt = this.ctx.clock.now();
    this.killedForHealth = false;
    this.healthFailures = 0;
    this.health = this.spec.healthCheck === undefined ? undefined : 'unknown';
    this.system(`started container ${id} with ${this.ctx.runtime.name}${container.pid ? ` (pid ${container.pid})` : ''}`);
    this.send({ phase: 'running', ...this.base() });
    this.scheduleHealthCheck(this.spec.healthCheck?.initialDelayMs ?? HEALTH_DEFAULTS.initialDelayMs);
    this.done = container.exited.then(async (exit) => {
      this.container = undefined;
      this.clearTimers();
      this.system(`container ${id} ${exit.reason}`);
      await container.remove().catch((err: Error) => this.ctx.logger.warn({ container: id, err: err.message }, 'removing a container failed'));
      if (!this.stopped) this.afterExit(exit);
    });
  }

  private afterExit(exit: ContainerExit): void {
    const failed = isFailure(exit, this.killedForHealth);
    if (this.ctx.clock.now() - this.startedAt >= this.ctx.backoff.resetAfterMs) this.consecutive = 0;
    const reason = this.killedForHealth ? `restarted after failing its health check (${exit.reason})` : exit.reason;
    if (!shouldRestart(this.spec.restartPolicy, failed)) {
      this.send({ phase: failed ? 'failed' : 'stopped', ...this.base(), reason });
      return;
    }
    this.consecutive++;
    this.restarts++;
    this.ctx.onRestart();
    const delay = restartDelay(this.consecutive, this.ctx.backoff);
    this.system(`restarting in ${delay} ms (restart ${this.restarts})`);
    this.send({ phase: 'scheduled', ...this.base(), reason: `back-off ${delay} ms after it ${reason}` });
    this.timer = this.ctx.clock.setTimeout(() => {
      this.launching = this.launch();
    }, delay);
  }

  private scheduleHealthCheck(delayMs: number): void {
    const check = this.spec.healthCheck;
    if (check === undefined || this.stopped) return;
    this.healthTimer = this.ctx.clock.setTimeout(() => void this.checkHealth(), delayMs);
  }

  private async checkHealth(): Promise<void> {
    const check = this.spec.healthCheck!;
    const container = this.container;
    if (container === undefined || this.stopped || this.healthInFlight) return;
    this.healthInFlight = true;
    const verdict = await runHealthCheck(check, container, this.ctx.address, this.ctx.clock);
    this.healthInFlight = false;
    if (container !== this.container || this.stopped) return;
    if (verdict.ok) {
      this.healthFailures = 0;
      this.health = 'healthy';
      this.send({ phase: 'running', ...this.base() });
    } else {
      this.healthFailures++;
      this.ctx.onHealthFailure(check.kind);
      this.system(`health check failed (${this.healthFailures}/${check.failureThreshold ?? HEALTH_DEFAULTS.failureThreshold}): ${verdict.reason}`);
      if (this.healthFailures >= (check.failureThreshold ?? HEALTH_DEFAULTS.failureThreshold)) {
        this.health = 'unhealthy';
        this.killedForHealth = true;
        this.send({ phase: 'running', ...this.base(), reason: `unhealthy: ${verdict.reason}` });
        void container.stop(this.ctx.stopGraceMs);
        return;
      }
    }
    this.scheduleHealthCheck(check.intervalMs ?? HEALTH_DEFAULTS.intervalMs);
  }

  private clearTimers(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    if (this.healthTimer !== undefined) this.ctx.clock.clearTimeout(this.healthTimer);
    this.timer = undefined;
    this.healthTimer = undefined;
  }
}
