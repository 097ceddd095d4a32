import type { MethodDefinition } from '@grpc/grpc-js';

/**
 * The one gRPC method of the transport: a bidirectional stream of raw frames (see frame.ts). The
 * frames are bytes already, so the (de)serialisers pass Buffers through — no protobuf involved.
 */
export const EXCHANGE_PATH = '/hypermesh.transport.v1.Transport/Exchange';

/** Request metadata key carrying the dialing node's id; the server checks it against the certificate. */
export const NODE_METADATA_KEY = 'hypermesh-node';

const passThrough = (bytes: Buffer): Buffer => bytes;

/** The method definition for `server.addService` and `client.makeBidiStreamRequest`. */
export const exchangeMethod: MethodDefinition<Buffer, Buffer> = {
  path: EXCHANGE_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: passThrough,
  requestDeserialize: passThrough,
  responseSerialize: passThrough,
  responseDeserialize: passThrough,
};
