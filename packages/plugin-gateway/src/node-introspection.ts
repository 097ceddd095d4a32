import { createServiceRef, type HypermeshNode, type NodeDescription, type NodeHealth } from '@hypermesh/runtime';
import { GatewayError, GatewayErrorCode } from './errors.js';

/**
 * What the gateway reports about the node it runs on (`GET /v1/plugins`, `GET /v1/health`). A
 * plugin cannot reach its node, so the integrator supplies this service as an override — see
 * {@link createNodeIntrospection}.
 */
export interface NodeIntrospection {
  /** `node.describe()`: plugins in boot order, services, hooks. */
  describe(): NodeDescription;
  /** `node.health()`: every plugin's health check. */
  health(): Promise<NodeHealth>;
}

/** The `gateway.node` service: the node itself, as the integrator hands it to the gateway. */
export const nodeIntrospectionRef = createServiceRef<NodeIntrospection>({
  id: 'gateway.node',
  version: '1.0.0',
  description: 'The node the gateway runs on (describe, health), supplied by the integrator',
});

/** A {@link NodeIntrospection} whose node is attached after `createNode` returns. */
export interface LateNodeIntrospection extends NodeIntrospection {
  /** Attaches the node; until then `describe`/`health` answer 503. */
  attach(node: HypermeshNode): void;
}

/**
 * Makes the `gateway.node` override. The node does not exist while its overrides are written,
 * so attach it afterwards:
 *
 * ```ts
 * import { createNode } from '@hypermesh/runtime';
 * import { createNodeIntrospection, gatewayPlugin, nodeIntrospectionRef } from '@hypermesh/plugin-gateway';
 *
 * const introspection = createNodeIntrospection();
 * const node = createNode({ plugins: [gatewayPlugin], overrides: [[nodeIntrospectionRef, introspection]] });
 * introspection.attach(node);
 * ```
 */
export function createNodeIntrospection(): LateNodeIntrospection {
  let node: HypermeshNode | undefined;
  const attached = (): HypermeshNode => {
    if (node === undefined) {
      throw new GatewayError(GatewayErrorCode.ServiceUnavailable, 'the gateway has not been given its node yet; call introspection.attach(node) after createNode');
    }
    return node;
  };
  return {
    attach: (n) => {
      node = n;
    },
    describe: () => attached().describe(),
    health: () => attached().health(),
  };
}
