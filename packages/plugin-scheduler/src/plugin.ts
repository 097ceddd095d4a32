import { clockRef, consensusRef, definePlugin, resolverRef, schedulerRef, transportRef, type NodeAgentInfo } from '@hypermesh/runtime';
import { membershipRegistration } from './agent/registration.js';
import { startMembership } from './agent/membership.js';
import { NodeAgent } from './agent/node-agent.js';
import { schedulerConfigSchema } from './config.js';
import { ownerPrefix } from './containers/ownership.js';
import { selectRuntime } from './containers/select-runtime.js';
import { createRecordPublisher } from './dns/record-publisher.js';
import { PLUGIN_NAME } from './errors.js';
import { countEvents, createSchedulerMetrics, instrumentMachine } from './metrics.js';
import { tapBuiltinPlugins } from './plugins/builtin.js';
import { createRemoteLogs, type RemoteLogs } from './service/remote-logs.js';
import { createSchedulerService } from './service/scheduler-service.js';
import { consensusSubmitter, localSubmitter } from './service/submitter.js';
import { startTrustReporter } from './service/trust-reporter.js';
import { SCHED_NAMESPACE } from './state/operations.js';
import { createSchedulerStateMachine } from './state/state-machine.js';

/** The version of this plugin (equal to package.json). */
export const PLUGIN_VERSION = '0.1.0';

/**
 * `@hypermesh/plugin-scheduler`: provides the `scheduler` service. Placements are `sched`
 * operations — through consensus when a `consensus` service is present, else applied locally by
 * the same state machine; the node agent runs what is bound to this node (runc or plain
 * processes); service records go to the `resolver` zone when one is present.
 */
export const schedulerPlugin = definePlugin({
  name: PLUGIN_NAME,
  version: PLUGIN_VERSION,
  description: 'Workload placement through consensus (Kubernetes-shaped framework) and node agents running runc containers or processes',
  requires: { runtime: '^0.1.0' },
  optionalServices: [consensusRef, resolverRef, transportRef],
  provides: [schedulerRef],
  config: schedulerConfigSchema,
  setup(ctx) {
    const config = ctx.config;
    const clock = ctx.use(clockRef);
    const { disabledPlugins, weights, minReputation, percentageOfNodesToScore } = config.framework;
    ctx.onStop(tapBuiltinPlugins(ctx.hooks, { disabled: disabledPlugins, weights, minReputation }));

    let agent: NodeAgent | undefined;
    let agentInfo: NodeAgentInfo | undefined;
    let remoteLogs: RemoteLogs | undefined;
    const machine = createSchedulerStateMachine({
      hooks: ctx.hooks,
      framework: { percentageOfNodesToScore },
      nodeTimeoutMs: config.nodeTimeoutMs,
      quotas: config.quotas,
    });
    const metrics = createSchedulerMetrics(ctx.metrics, () => machine.state, () => agent?.running ?? 0);
    machine.subscribe(countEvents(metrics));
    const replicated = instrumentMachine(machine, metrics);

    const consensus = ctx.useOptional(consensusRef);
    if (consensus !== undefined) consensus.registerStateMachine(SCHED_NAMESPACE, replicated);
    const submit = consensus !== undefined ? consensusSubmitter(consensus, config.submitTimeoutMs) : localSubmitter(replicated, clock, ctx.nodeId);
    const resolver = ctx.useOptional(resolverRef);
    const transport = ctx.useOptional(transportRef);

    ctx.provide(
      schedulerRef,
      createSchedulerService({
        nodeId: ctx.nodeId,
        machine,
        submit,
        agent: () => (agent === undefined || agentInfo === undefined ? undefined : { logs: (key, tail) => agent!.logsOf(key, tail), info: agentInfo }),
        remoteLogs: () => remoteLogs,
        logsTimeoutMs: 5000,
      }),
    );

    if (resolver !== undefined) {
      machine.subscribe(
        createRecordPublisher({
          nodeId: ctx.nodeId,
          resolver,
          domain: config.domain ?? resolver.zone.domain ?? 'hypermesh.local',
          ttl: config.recordTtl,
          state: () => machine.state,
          logger: ctx.logger,
          count: (action, outcome) => metrics.recordUpdates.inc({ action, outcome }),
        }),
      );
    }

    const stops: (() => void | Promise<void>)[] = [];
    ctx.onStart(async () => {
      if (transport !== undefined) {
        remoteLogs = createRemoteLogs({ transport, clock, logger: ctx.logger, local: (key, tail) => agent?.logsOf(key, tail), onBadMessage: () => metrics.badMessages.inc() });
        stops.push(() => remoteLogs?.close());
      }
      if (config.agent.enabled) {
        const idPrefix = ownerPrefix(ctx.nodeId, config.agent.stateDir);
        const runtimes = await selectRuntime({
          preference: config.agent.runtime,
          stateDir: config.agent.stateDir,
          runcRoot: config.agent.runcRoot,
          busybox: config.agent.busybox,
          clock,
          idPrefix,
        });
        agentInfo = { node: ctx.nodeId, runtime: runtimes.preferred.name, reason: runtimes.reason };
        ctx.logger.info({ runtime: agentInfo.runtime, reason: agentInfo.reason }, `workloads run with ${agentInfo.runtime}: ${agentInfo.reason}`);
        const nodeAgent = new NodeAgent({
          nodeId: ctx.nodeId,
          idPrefix,
          clock,
          logger: ctx.logger,
          runtimes,
          state: () => machine.state,
          address: config.node.address,
          logLines: config.agent.logLines,
          backoff: config.agent.restartBackoff,
          stopGraceMs: config.agent.stopGraceMs,
          report: (key, generation, run) =>
            void submit({ type: 'sched.status', key, node: ctx.nodeId, generation, ...run }).catch((err: Error) =>
              ctx.logger.debug({ workload: key, err: err.message }, 'status report not committed'),
            ),
          counters: { restart: () => metrics.restarts.inc(), healthFailure: (kind) => metrics.healthFailures.inc({ kind }), orphanRemoved: (kind) => metrics.orphansRemoved.inc({ kind }) },
        });
        agent = nodeAgent;
        stops.push(machine.subscribe((event) => event.type !== 'node' && event.type !== 'unschedulable' && nodeAgent.changed()));
        await nodeAgent.start();
        stops.push(() => nodeAgent.stop());
        stops.push(
          startMembership({
            registration: membershipRegistration(ctx.nodeId, config, runtimes),
            clock,
            submit,
            intervalMs: config.heartbeatIntervalMs,
            logger: ctx.logger,
          }),
        );
      }
      if (consensus !== undefined) {
        stops.push(startTrustReporter({ nodeId: ctx.nodeId, consensus, hooks: ctx.hooks, clock, submit, pollMs: config.reputationPollMs, logger: ctx.logger }));
      }
    });
    ctx.onStop(async () => {
      // membership and reporters first, then the containers, then the transport
      for (const stop of stops.splice(0).reverse()) await stop();
    });

    ctx.onHealthCheck(() => {
      const ready = machine.state.sortedNodes.filter((n) => n.ready).length;
      const nodes = `${ready}/${machine.state.sortedNodes.length} nodes ready`;
      if (config.agent.enabled && agentInfo === undefined) return { status: 'degraded', detail: `the node agent has not started; ${nodes}` };
      const runtime = agentInfo === undefined ? 'no agent on this node' : `${agentInfo.runtime}: ${agentInfo.reason}`;
      return { status: 'ok', detail: `${runtime}; ${agent?.running ?? 0} workloads here; ${nodes}` };
    });
  },
});
