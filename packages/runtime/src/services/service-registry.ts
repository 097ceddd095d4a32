import { HypermeshError, RuntimeErrorCode } from '../errors.js';
import type { NodePlan, PlannedProvider } from '../node/plan.js';
import { compatibleServiceVersions } from '../node/plan.js';
import { serviceLabel, type AnyServiceRef, type ServiceConsumer } from './service-ref.js';

interface ServiceEntry {
  readonly planned: PlannedProvider;
  /** The instance (node scope) or the factory (plugin scope), once provided. */
  implementation?: unknown;
  provided: boolean;
  readonly instances: Map<string, unknown>;
  readonly consumers: Set<string>;
}

/** A service as `describe()` reports it. */
export interface ServiceDescription {
  /** The service id. */
  id: string;
  /** The provider's contract version. */
  version: string;
  /** `node` or `plugin`. */
  scope: string;
  /** The providing plugin, `<integrator>` for an override, `<runtime>` for a built-in. */
  provider: string;
  /** Plugins that declared a provider the override replaced. */
  shadowed: string[];
  /** Plugins that have used it so far. */
  consumers: string[];
}

/** @internal The services of one node, resolved from the plan. */
export class ServiceRegistry {
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly shadowed: NodePlan['shadowed'];
  /** Services of the runtime itself (the clock): every plugin may use them without declaring. */
  private readonly builtins = new Set<string>();

  constructor(
    plan: NodePlan,
    private readonly nodeId: string,
  ) {
    this.shadowed = plan.shadowed;
    for (const [id, planned] of plan.providers) {
      this.entries.set(id, { planned, provided: false, instances: new Map(), consumers: new Set() });
    }
  }

  /** Supplies an override or a built-in before any plugin runs. */
  preset(ref: AnyServiceRef, implementation: unknown, options: { builtin?: boolean } = {}): void {
    if (options.builtin === true) this.builtins.add(ref.id);
    const entry = this.entries.get(ref.id);
    if (entry === undefined) return;
    entry.implementation = implementation;
    entry.provided = true;
  }

  /** Called by `ctx.provide`. */
  provide(plugin: string, declared: readonly AnyServiceRef[], ref: AnyServiceRef, implementation: unknown): void {
    if (!declared.some((r) => r.id === ref?.id)) {
      throw new HypermeshError(
        RuntimeErrorCode.ServiceUndeclared,
        `plugin '${plugin}' called ctx.provide(${ref?.id === undefined ? 'a non-ref' : `'${ref.id}'`}) but does not declare it; add the ref to the plugin's 'provides'`,
        { plugin },
      );
    }
    if (ref.scope === 'plugin' && typeof implementation !== 'function') {
      throw new HypermeshError(
        RuntimeErrorCode.InvalidArgument,
        `plugin '${plugin}' provided plugin-scoped service '${ref.id}' with ${typeof implementation}; plugin-scoped services take a factory (consumer) => instance`,
        { plugin },
      );
    }
    const entry = this.entries.get(ref.id)!;
    if (entry.planned.kind !== 'plugin') return; // an integrator override replaces this provider
    if (entry.provided) {
      throw new HypermeshError(
        RuntimeErrorCode.DuplicateService,
        `plugin '${plugin}' called ctx.provide('${ref.id}') twice; provide each service once`,
        { plugin },
      );
    }
    entry.implementation = implementation;
    entry.provided = true;
  }

  /** Providers that declared a service but never provided it. */
  unprovided(plugin: string): AnyServiceRef[] {
    const missing: AnyServiceRef[] = [];
    for (const entry of this.entries.values()) {
      if (entry.planned.kind === 'plugin' && entry.planned.owner === plugin && !entry.provided) missing.push(entry.planned.ref);
    }
    return missing;
  }

  /** Resolves a service for a consumer. `declared === undefined` means the integrator (no check). */
  get(consumer: string, ref: AnyServiceRef, optional: boolean, declared?: readonly AnyServiceRef[]): unknown {
    const entry = this.entries.get(ref?.id);
    // The runtime's own services (the clock) need no declaration: every plugin may use them.
    if (declared !== undefined && !this.builtins.has(ref?.id) && !declared.some((r) => r.id === ref?.id)) {
      const field = optional ? 'optionalServices' : 'requires.services';
      throw new HypermeshError(
        RuntimeErrorCode.ServiceUndeclared,
        `plugin '${consumer}' called ctx.${optional ? 'useOptional' : 'use'}('${ref?.id}') but does not declare it; add the ref to the plugin's '${field}' so the runtime can order plugins and check the provider`,
        { plugin: consumer },
      );
    }
    if (entry === undefined || !entry.provided) {
      if (optional && entry === undefined) return undefined;
      const why =
        entry === undefined
          ? 'no loaded plugin provides it and no override is given'
          : `its provider '${entry.planned.owner}' has not provided it yet (it provides services during setup)`;
      throw new HypermeshError(RuntimeErrorCode.ServiceMissing, `${consumerLabel(consumer)} asked for service ${serviceLabel(ref)}, but ${why}`, {
        plugin: consumer === '<integrator>' ? undefined : consumer,
        details: { service: ref.id },
      });
    }
    if (!compatibleServiceVersions(ref.version, entry.planned.ref.version)) {
      throw new HypermeshError(
        RuntimeErrorCode.ServiceVersion,
        `${consumerLabel(consumer)} uses service ${serviceLabel(ref)}, but '${entry.planned.owner}' provides ${serviceLabel(entry.planned.ref)}; the major versions differ`,
        { plugin: consumer === '<integrator>' ? undefined : consumer, details: { service: ref.id } },
      );
    }
    entry.consumers.add(consumer);
    if (entry.planned.ref.scope !== 'plugin') return entry.implementation;
    let instance = entry.instances.get(consumer);
    if (instance === undefined) {
      const consumerInfo: ServiceConsumer = { plugin: consumer, nodeId: this.nodeId };
      instance = (entry.implementation as (c: ServiceConsumer) => unknown)(consumerInfo);
      entry.instances.set(consumer, instance);
    }
    return instance;
  }

  describe(): ServiceDescription[] {
    return [...this.entries.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, e]) => ({
        id,
        version: e.planned.ref.version,
        scope: e.planned.ref.scope,
        provider: e.planned.owner,
        shadowed: [...(this.shadowed.get(id) ?? [])],
        consumers: [...e.consumers].sort(),
      }));
  }
}

function consumerLabel(consumer: string): string {
  return consumer === '<integrator>' ? 'node.get' : `plugin '${consumer}'`;
}
