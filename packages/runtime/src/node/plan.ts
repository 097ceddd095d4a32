import semver from 'semver';
import { HypermeshError, RuntimeErrorCode, pluginLabel } from '../errors.js';
import type { AnyPlugin } from '../plugin/define-plugin.js';
import { serviceLabel, type AnyServiceRef } from '../services/service-ref.js';

/** Who provides a service on a node. */
export type ProviderKind = 'plugin' | 'override' | 'runtime';

/** @internal The provider chosen for a service id before any setup runs. */
export interface PlannedProvider {
  readonly kind: ProviderKind;
  /** The providing plugin's name (for `plugin`), else `<integrator>` or `<runtime>`. */
  readonly owner: string;
  readonly ref: AnyServiceRef;
}

/** @internal The outcome of planning: boot order and providers. */
export interface NodePlan {
  readonly ordered: readonly AnyPlugin[];
  readonly providers: ReadonlyMap<string, PlannedProvider>;
  /** Plugins that declared a service an override replaces. */
  readonly shadowed: ReadonlyMap<string, readonly string[]>;
}

interface Edge {
  to: string;
  why: string;
}

/** True when two contract versions can talk: same major version. */
export function compatibleServiceVersions(a: string, b: string): boolean {
  return semver.major(a) === semver.major(b);
}

function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: true });
}

/**
 * Checks every manifest against the others and orders the plugins: each after what it requires,
 * optionally uses (when present) and the providers of the services it uses. Ties keep the
 * integrator's list order (a stable topological sort).
 */
export function planNode(
  plugins: readonly AnyPlugin[],
  overrides: readonly AnyServiceRef[],
  builtins: readonly AnyServiceRef[],
  runtime: { name: string; version: string },
): NodePlan {
  const byName = new Map<string, AnyPlugin>();
  for (const p of plugins) {
    const existing = byName.get(p.name);
    if (existing !== undefined) {
      throw new HypermeshError(
        RuntimeErrorCode.DuplicatePlugin,
        `plugin '${p.name}' is listed twice (${pluginLabel(existing.name, existing.version)} and ${pluginLabel(p.name, p.version)}); give each plugin to createNode once`,
        { plugin: p.name },
      );
    }
    byName.set(p.name, p);
  }

  for (const p of plugins) {
    const range = p.requires.runtime;
    if (range !== undefined && !satisfies(runtime.version, range)) {
      throw new HypermeshError(
        RuntimeErrorCode.VersionMismatch,
        `plugin ${pluginLabel(p.name, p.version)} requires '${runtime.name}@${range}', but '${runtime.name}@${runtime.version}' is loaded`,
        { plugin: p.name },
      );
    }
    for (const [dep, depRange] of Object.entries(p.requires.plugins)) {
      const loaded = byName.get(dep);
      if (loaded === undefined) {
        throw new HypermeshError(
          RuntimeErrorCode.DependencyMissing,
          `plugin ${pluginLabel(p.name, p.version)} requires '${dep}@${depRange}', but '${dep}' is not loaded; add it to the plugins given to createNode`,
          { plugin: p.name, details: { missing: dep, range: depRange } },
        );
      }
      if (!satisfies(loaded.version, depRange)) {
        throw new HypermeshError(
          RuntimeErrorCode.VersionMismatch,
          `plugin ${pluginLabel(p.name, p.version)} requires '${dep}@${depRange}', but ${pluginLabel(loaded.name, loaded.version)} is loaded`,
          { plugin: p.name },
        );
      }
    }
    for (const [dep, depRange] of Object.entries(p.optional)) {
      const loaded = byName.get(dep);
      if (loaded !== undefined && !satisfies(loaded.version, depRange)) {
        throw new HypermeshError(
          RuntimeErrorCode.VersionMismatch,
          `plugin ${pluginLabel(p.name, p.version)} optionally uses '${dep}@${depRange}', but ${pluginLabel(loaded.name, loaded.version)} is loaded; load a matching version or remove it`,
          { plugin: p.name },
        );
      }
    }
  }

  // Providers: an integrator's override wins over plugins, which win over the runtime's built-ins.
  const providers = new Map<string, PlannedProvider>();
  const shadowed = new Map<string, string[]>();
  for (const ref of builtins) providers.set(ref.id, { kind: 'runtime', owner: '<runtime>', ref });
  const declared = new Map<string, AnyPlugin[]>();
  for (const p of plugins) {
    for (const ref of p.provides) {
      const list = declared.get(ref.id) ?? [];
      list.push(p);
      declared.set(ref.id, list);
    }
  }
  const overridden = new Set<string>();
  for (const ref of overrides) {
    if (overridden.has(ref.id)) {
      throw new HypermeshError(
        RuntimeErrorCode.DuplicateService,
        `service '${ref.id}' is overridden twice in createNode({ overrides }); give one override per service`,
      );
    }
    overridden.add(ref.id);
  }
  for (const [id, list] of declared) {
    if (overridden.has(id)) {
      shadowed.set(
        id,
        list.map((p) => p.name),
      );
      continue;
    }
    if (list.length > 1) {
      throw new HypermeshError(
        RuntimeErrorCode.DuplicateService,
        `service '${id}' is provided by both ${list.map((p) => pluginLabel(p.name, p.version)).join(' and ')}; remove one of them or choose with createNode({ overrides: [[ref, implementation]] })`,
        { plugin: list[1]!.name, details: { service: id, providers: list.map((p) => p.name) } },
      );
    }
    const p = list[0]!;
    providers.set(id, { kind: 'plugin', owner: p.name, ref: p.provides.find((r) => r.id === id)! });
  }
  for (const ref of overrides) providers.set(ref.id, { kind: 'override', owner: '<integrator>', ref });

  const edges = new Map<string, Edge[]>(plugins.map((p) => [p.name, []]));
  const checkConsumer = (p: AnyPlugin, ref: AnyServiceRef, required: boolean) => {
    const provider = providers.get(ref.id);
    if (provider === undefined) {
      if (!required) return;
      throw new HypermeshError(
        RuntimeErrorCode.ServiceMissing,
        `plugin ${pluginLabel(p.name, p.version)} requires service ${serviceLabel(ref)}, but no loaded plugin provides it and no override is given; load a plugin that provides '${ref.id}' or pass createNode({ overrides: [[${ref.id}Ref, implementation]] })`,
        { plugin: p.name, details: { service: ref.id } },
      );
    }
    if (!compatibleServiceVersions(ref.version, provider.ref.version)) {
      throw new HypermeshError(
        RuntimeErrorCode.ServiceVersion,
        `plugin ${pluginLabel(p.name, p.version)} uses service ${serviceLabel(ref)}, but ${describeProvider(provider)} provides ${serviceLabel(provider.ref)}; the major versions differ — upgrade one side so both speak the same contract`,
        { plugin: p.name, details: { service: ref.id, consumer: ref.version, provider: provider.ref.version } },
      );
    }
    if (provider.kind === 'plugin' && provider.owner !== p.name) {
      edges.get(p.name)!.push({ to: provider.owner, why: `'${p.name}' uses service '${ref.id}' of '${provider.owner}'` });
    }
  };
  for (const p of plugins) {
    for (const dep of Object.keys(p.requires.plugins)) {
      edges.get(p.name)!.push({ to: dep, why: `'${p.name}' requires '${dep}'` });
    }
    for (const dep of Object.keys(p.optional)) {
      if (byName.has(dep)) edges.get(p.name)!.push({ to: dep, why: `'${p.name}' optionally uses '${dep}'` });
    }
    for (const ref of p.requires.services) checkConsumer(p, ref, true);
    for (const ref of p.optionalServices) checkConsumer(p, ref, false);
  }

  return { ordered: stableTopologicalOrder(plugins, edges), providers, shadowed };
}

function describeProvider(provider: PlannedProvider): string {
  if (provider.kind === 'plugin') return `plugin '${provider.owner}'`;
  if (provider.kind === 'override') return 'the integrator override';
  return 'the runtime';
}

/** Kahn's algorithm, always taking the earliest-listed ready plugin; a stall means a cycle. */
function stableTopologicalOrder(plugins: readonly AnyPlugin[], edges: Map<string, Edge[]>): AnyPlugin[] {
  const placed = new Set<string>();
  const ordered: AnyPlugin[] = [];
  while (ordered.length < plugins.length) {
    const next = plugins.find((p) => !placed.has(p.name) && edges.get(p.name)!.every((e) => placed.has(e.to)));
    if (next === undefined) throw cycleError(plugins.filter((p) => !placed.has(p.name)), edges);
    placed.add(next.name);
    ordered.push(next);
  }
  return ordered;
}

function cycleError(remaining: readonly AnyPlugin[], edges: Map<string, Edge[]>): HypermeshError {
  const names = new Set(remaining.map((p) => p.name));
  // Walk unplaced dependencies from the first unplaced plugin until a name repeats.
  const path: string[] = [];
  const reasons: string[] = [];
  let current = remaining[0]!.name;
  while (!path.includes(current)) {
    path.push(current);
    const edge = edges.get(current)!.find((e) => names.has(e.to))!;
    reasons.push(edge.why);
    current = edge.to;
  }
  const start = path.indexOf(current);
  const cycle = [...path.slice(start), current];
  const why = reasons.slice(start);
  return new HypermeshError(
    RuntimeErrorCode.DependencyCycle,
    `plugins depend on each other in a cycle: ${cycle.map((n) => `'${n}'`).join(' -> ')} (${why.join('; ')}); make one of these dependencies optional or move the shared contract into a plugin both can depend on`,
    { plugin: cycle[0], details: { cycle } },
  );
}
