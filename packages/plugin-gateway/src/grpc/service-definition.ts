import { makeGenericClientConstructor, type ChannelCredentials, type Client, type ServiceDefinition } from '@grpc/grpc-js';
import type { AnyOperation } from '../api/operation.js';
import { OPERATIONS } from '../api/operations/index.js';
import { encodeJson } from '../api/json.js';

/** The fully qualified name of the gateway's gRPC service. */
export const GATEWAY_GRPC_SERVICE = 'hypermesh.gateway.v1.Gateway';

/**
 * The gRPC service definition: one unary method per API operation (`GetStatus`, `DeployWorkload`,
 * …), messages are UTF-8 JSON. A request is `{ params?, query?, body? }` — the same parts as the
 * REST call — and a response is the REST answer's JSON body. Servers receive raw bytes (the
 * gateway parses and validates them); clients send and receive plain objects.
 */
export function gatewayGrpcServiceDefinition(operations: readonly AnyOperation[] = OPERATIONS): ServiceDefinition {
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const operation of operations) {
    definition[operation.grpcMethod] = {
      path: `/${GATEWAY_GRPC_SERVICE}/${operation.grpcMethod}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: unknown) => Buffer.from(encodeJson(value ?? {})),
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (value: unknown) => Buffer.from(encodeJson(value)),
      responseDeserialize: (bytes: Buffer) => (bytes.length === 0 ? null : (JSON.parse(bytes.toString('utf8')) as unknown)),
      originalName: operation.grpcMethod,
    };
  }
  return definition;
}

/** A gRPC client of the gateway: a method per operation, e.g. `client.GetStatus({}, metadata, callback)`. */
export type GatewayGrpcClient = Client & Record<string, (...args: unknown[]) => unknown>;

/**
 * Makes a gRPC client for the gateway at `address` (HOST:PORT). Pass the credentials as metadata
 * `authorization: Bearer <API key or JWT>` on each call.
 *
 * ```ts
 * import { credentials, Metadata } from '@grpc/grpc-js';
 * import { createGatewayGrpcClient } from '@hypermesh/plugin-gateway';
 *
 * const client = createGatewayGrpcClient('127.0.0.1:9090', credentials.createInsecure());
 * const metadata = new Metadata();
 * metadata.set('authorization', `Bearer ${process.env.HYPERMESH_TOKEN}`);
 * client.GetStatus({}, metadata, (err: Error | null, status: unknown) => console.log(err ?? status));
 * ```
 */
export function createGatewayGrpcClient(address: string, channelCredentials: ChannelCredentials): GatewayGrpcClient {
  const Constructor = makeGenericClientConstructor(gatewayGrpcServiceDefinition(), 'Gateway');
  return new Constructor(address, channelCredentials) as unknown as GatewayGrpcClient;
}
