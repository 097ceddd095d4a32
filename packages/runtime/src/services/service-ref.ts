import semver from 'semver';
import { HypermeshError, RuntimeErrorCode } from '../errors.js';

/**
 * How many instances of a service a node holds:
 * - `node`: one instance, shared by every consumer;
 * - `plugin`: the provider gives a factory and each consuming plugin gets its own instance
 *   (a per-plugin logger, a per-plugin quota, …).
 */
export type ServiceScope = 'node' | 'plugin';

/**
 * A typed handle on a service contract. The type parameter flows through
 * `ctx.provide(ref, impl)`, `ctx.use(ref)`, `ctx.useOptional(ref)` and `node.get(ref)`, so a
 * provider that does not implement the contract, or a consumer that expects another shape, does
 * not compile. Two refs with the same `id` name the same service; at run time their versions must
 * share a major version.
 */
export interface ServiceRef<T, Scope extends ServiceScope = ServiceScope> {
  /** The service id, e.g. `consensus`. */
  readonly id: string;
  /** The contract version (semver) this ref was written against. */
  readonly version: string;
  /** Whether consumers share one instance (`node`) or get one each (`plugin`). */
  readonly scope: Scope;
  /** What the service is for; shown by `describe()`. */
  readonly description: string | undefined;
  /** Type marker only; never set. Makes refs invariant in `T`. */
  readonly '~type'?: (value: T) => T;
}

/** A service ref of any type, for lists such as a manifest's `provides`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceRef = ServiceRef<any, ServiceScope>;

/** The service type a ref stands for. */
export type ServiceType<R> = R extends ServiceRef<infer T, ServiceScope> ? T : never;

/** Who a plugin-scoped service instance is being created for. */
export interface ServiceConsumer {
  /** The consuming plugin's name, or `'<integrator>'` for `node.get`. */
  readonly plugin: string;
  /** The id of the node the consumer runs on. */
  readonly nodeId: string;
}

/** What a provider (or an override) supplies for a ref: the instance, or a per-consumer factory. */
export type ServiceImplementation<T, Scope extends ServiceScope> = Scope extends 'plugin'
  ? (consumer: ServiceConsumer) => T
  : T;

/** Options of {@link createServiceRef}. */
export interface ServiceRefOptions {
  /** The service id, e.g. `consensus`; lower-case words separated by `.` or `-`. */
  id: string;
  /** The contract version (semver). Providers and consumers must share its major version. */
  version: string;
  /** What the service is for. */
  description?: string;
}

const SERVICE_ID = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;

/**
 * Creates a typed service ref.
 *
 * ```ts
 * interface Greeter { greet(name: string): string }
 * export const greeterRef = createServiceRef<Greeter>({ id: 'greeter', version: '1.0.0' });
 * ```
 */
export function createServiceRef<T>(options: ServiceRefOptions & { scope?: 'node' }): ServiceRef<T, 'node'>;
/** Creates a plugin-scoped ref: providers give a factory, each consumer gets its own instance. */
export function createServiceRef<T>(options: ServiceRefOptions & { scope: 'plugin' }): ServiceRef<T, 'plugin'>;
export function createServiceRef<T>(options: ServiceRefOptions & { scope?: ServiceScope }): ServiceRef<T, ServiceScope> {
  if (typeof options?.id !== 'string' || !SERVICE_ID.test(options.id)) {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `createServiceRef: id ${JSON.stringify(options?.id)} is not a valid service id; use lower-case words joined by '.' or '-', e.g. 'consensus' or 'dns.records'`,
    );
  }
  if (typeof options.version !== 'string' || semver.valid(options.version) === null) {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `createServiceRef: service '${options.id}' has version ${JSON.stringify(options.version)}, which is not semver; use e.g. '1.0.0'`,
    );
  }
  const scope = options.scope ?? 'node';
  if (scope !== 'node' && scope !== 'plugin') {
    throw new HypermeshError(
      RuntimeErrorCode.InvalidArgument,
      `createServiceRef: service '${options.id}' has scope ${JSON.stringify(scope)}; use 'node' or 'plugin'`,
    );
  }
  return Object.freeze({ id: options.id, version: options.version, scope, description: options.description });
}

/** `id@version`, the way messages quote a service. */
export function serviceLabel(ref: AnyServiceRef): string {
  return `'${ref.id}@${ref.version}'`;
}
