import type { AnyServiceRef, ServiceRef } from '@hypermesh/runtime';
import { GatewayError, GatewayErrorCode } from '../errors.js';

/** The plugin that provides each service the gateway uses, for 503 messages. */
export const SERVICE_PROVIDERS: Readonly<Record<string, string>> = {
  consensus: '@hypermesh/plugin-pbft',
  scheduler: '@hypermesh/plugin-scheduler',
  resolver: '@hypermesh/plugin-dns-ct',
  certificates: '@hypermesh/plugin-dns-ct',
  analytics: '@hypermesh/plugin-stoq',
  datapath: '@hypermesh/ebpf',
  'gateway.node': 'the integrator (a nodeIntrospectionRef override, see createNodeIntrospection)',
};

/** A service the node lacks, as status reports it. */
export interface MissingService {
  /** The service id, e.g. `scheduler`. */
  readonly service: string;
  /** What provides it. */
  readonly provider: string;
}

/** Describes a missing service. */
export function missingService(ref: AnyServiceRef): MissingService {
  return { service: ref.id, provider: SERVICE_PROVIDERS[ref.id] ?? `a plugin providing '${ref.id}'` };
}

/** The 503 answered when an operation needs a service nobody provides on this node. */
export function serviceUnavailable(ref: AnyServiceRef, nodeId: string, operation: string): GatewayError {
  const { provider } = missingService(ref);
  return new GatewayError(
    GatewayErrorCode.ServiceUnavailable,
    `${operation} needs the '${ref.id}' service, which no plugin provides on node '${nodeId}'; load ${provider} on this node`,
    { details: { service: ref.id, provider } },
  );
}

/** Looks services up once; `require` throws the 503 for a missing one. */
export class ServiceAccess {
  constructor(
    private readonly lookup: <T>(ref: ServiceRef<T>) => T | undefined,
    private readonly nodeId: string,
  ) {}

  /** The service, or `undefined`. */
  optional<T>(ref: ServiceRef<T>): T | undefined {
    return this.lookup(ref);
  }

  /** The service, or a 503 naming its plugin. */
  require<T>(ref: ServiceRef<T>, operation: string): T {
    const service = this.lookup(ref);
    if (service === undefined) throw serviceUnavailable(ref, this.nodeId, operation);
    return service;
  }
}
