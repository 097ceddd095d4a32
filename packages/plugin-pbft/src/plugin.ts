/**
 * The plugin: wires config, transport, keys, clock and storage into the consensus engine and
 * provides the `consensus` service. No protocol logic lives here.
 */
import { join } from 'node:path';
import { analyticsRef, clockRef, consensusRef, definePlugin, keysRef, nodeSuspectedHook, transportRef } from '@hypermesh/runtime';
import { pbftConfigSchema } from './config.js';
import { PbftError, PbftErrorCode, PLUGIN_NAME } from './errors.js';
import type { SignatureCache } from './messages/envelope.js';
import { createPbftMetrics } from './metrics.js';
import type { ReplicaObserver } from './replica/replica.js';
import { createConsensusEngine } from './service/engine.js';
import { FileStorage } from './storage/file-storage.js';
import { MemoryStorage, type ReplicaStorage } from './storage/storage.js';

/** The plugin's version (equals package.json). */
export const PLUGIN_VERSION = '0.1.0';

/** Options of {@link createPbftPlugin}: what config cannot carry. */
export interface PbftPluginOptions {
  /**
   * The replica's storage, instead of `data_dir` (files) or memory. Simulations keep one
   * {@link MemoryStorage} per node so a restarted node finds its "disk" again.
   */
  readonly storage?: ReplicaStorage | ((nodeId: string) => ReplicaStorage);
  /** Watches the replica's decisions (tests, simulations). */
  readonly observer?: ReplicaObserver;
  /**
   * A signature verification cache shared by the nodes of one process (simulations): each
   * envelope is then verified once rather than once per node. Results are keyed by signer key,
   * body and signature, so sharing never accepts what a node's own check would refuse.
   */
  readonly signatureCache?: SignatureCache;
}

/** Creates the PBFT plugin; {@link pbftPlugin} is the same with no options. */
export function createPbftPlugin(options: PbftPluginOptions = {}) {
  return definePlugin({
    name: PLUGIN_NAME,
    version: PLUGIN_VERSION,
    description: 'PBFT consensus (Castro & Liskov): ordering, checkpoints, view change, state transfer, fault detection',
    requires: { runtime: '^0.1.0', services: [transportRef, keysRef] },
    optionalServices: [analyticsRef],
    provides: [consensusRef],
    config: pbftConfigSchema,
    setup(ctx) {
      const transport = ctx.use(transportRef);
      const keys = ctx.use(keysRef);
      const clock = ctx.use(clockRef);
      const analytics = ctx.useOptional(analyticsRef);
      const nodeId = keys.nodeId;
      if (transport.nodeId !== nodeId) {
        throw new PbftError(
          PbftErrorCode.Membership,
          `the keys service signs as '${nodeId}' but the transport sends as '${transport.nodeId}'; give both the same node id`,
        );
      }
      const metrics = createPbftMetrics(ctx.metrics);
      const logger = ctx.logger;
      let storage: ReplicaStorage;
      if (options.storage !== undefined) storage = typeof options.storage === 'function' ? options.storage(nodeId) : options.storage;
      else if (ctx.config.data_dir !== undefined) {
        storage = new FileStorage(join(ctx.config.data_dir, nodeId), {
          fsync: ctx.config.fsync,
          onRepair: (problem) => logger.warn({ problem }, `replica log repaired: ${problem}`),
        });
      } else storage = new MemoryStorage();
      const engine = createConsensusEngine({
        nodeId,
        config: ctx.config,
        transport,
        keys,
        clock,
        storage,
        logger,
        metrics,
        observer: options.observer,
        signatureCache: options.signatureCache,
        analyticsScore: analytics === undefined ? undefined : (id) => analytics.nodeScore(id),
        suspected: (suspicion) => {
          metrics.suspicions.inc({ action: suspicion.action, severity: suspicion.severity });
          logger.warn(suspicion, `fault detector: ${suspicion.action} '${suspicion.nodeId}' (reputation ${suspicion.reputation.toFixed(2)}, ${suspicion.severity})`);
          ctx.hooks.call(nodeSuspectedHook, suspicion).catch((err: unknown) => logger.error({ err }, 'a node.suspected tap failed'));
        },
      });
      ctx.provide(consensusRef, engine.service);
      ctx.onStart(() => engine.start());
      ctx.onStop(() => engine.stop());
      ctx.onHealthCheck(() => {
        const status = engine.service.status();
        const detail = `view ${status.view} (primary ${status.primary}), executed ${status.lastExecuted}, stable ${status.stableCheckpoint}`;
        if (status.viewChangeInProgress) return { status: 'degraded', detail: `changing views: ${detail}` };
        return { status: 'ok', detail };
      });
    },
  });
}

/** The PBFT plugin: provides `consensus`; needs `transport` and `keys`. */
export const pbftPlugin = createPbftPlugin();
