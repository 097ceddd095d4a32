import { randomUUID } from 'node:crypto';
import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ApiAnswer, ApiCall, ErrorBody } from '../api/dispatch.js';
import { encodeJson } from '../api/json.js';
import type { AnyOperation } from '../api/operation.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { formatHostPort, parseListenAddress } from '../listen-address.js';
import { gatewayGrpcServiceDefinition } from './service-definition.js';

/** The gRPC front end, once listening. */
export interface GrpcFrontEnd {
  /** HOST:PORT actually bound. */
  readonly address: string;
  /** Stops the server (gracefully for up to 2 s, then forcibly) and frees the port. */
  close(): Promise<void>;
}

/** What {@link startGrpcServer} needs. */
export interface GrpcServerOptions {
  readonly listen: string;
  readonly operations: readonly AnyOperation[];
  readonly dispatch: (call: ApiCall) => Promise<ApiAnswer>;
  readonly maxMessageBytes: number;
}

/** HTTP status → the gRPC status of the same meaning. */
export function grpcStatusOf(httpStatus: number): GrpcStatus {
  switch (httpStatus) {
    case 400:
    case 413:
    case 415:
      return GrpcStatus.INVALID_ARGUMENT;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.NOT_FOUND;
    case 409:
      return GrpcStatus.FAILED_PRECONDITION;
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 501:
      return GrpcStatus.UNIMPLEMENTED;
    case 503:
      return GrpcStatus.UNAVAILABLE;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    default:
      return GrpcStatus.INTERNAL;
  }
}

function parseRequest(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, `the gRPC request is not JSON: ${(err as Error).message}`, {
      details: { issues: [{ path: '(request)', message: (err as Error).message }] },
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'the gRPC request must be a JSON object { params?, query?, body? }', {
      details: { issues: [{ path: '(request)', message: 'expected an object' }] },
    });
  }
  return value as Record<string, unknown>;
}

/** Starts the gRPC front end (plaintext) on `options.listen`. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcFrontEnd> {
  const server = new Server({ 'grpc.max_receive_message_length': options.maxMessageBytes });
  const implementation: UntypedServiceImplementation = {};
  for (const operation of options.operations) {
    implementation[operation.grpcMethod] = (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>) => {
      const requestId = randomUUID();
      const first = (key: string) => {
        const value = call.metadata.get(key)[0];
        return typeof value === 'string' ? value : undefined;
      };
      const peer = call.getPeer();
      void options
        .dispatch({
          operation,
          credentials: { authorization: first('authorization'), apiKey: first('x-api-key') },
          client: peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
          transport: 'grpc',
          requestId,
          input: async () => {
            const request = parseRequest(call.request);
            return { params: request.params ?? {}, query: request.query ?? {}, body: request.body };
          },
        })
        .then((answer) => {
          const trailer = new Metadata();
          trailer.set('x-request-id', requestId);
          if (answer.status < 400) {
            const body = answer.text !== undefined ? { contentType: answer.text.contentType, text: answer.text.text } : answer.body;
            callback(null, body, trailer);
            return;
          }
          const { error } = answer.body as ErrorBody;
          trailer.set('hypermesh-error', encodeJson(error));
          for (const [name, value] of Object.entries(answer.headers)) if (name === 'retry-after') trailer.set(name, value);
          callback({ code: grpcStatusOf(answer.status), details: `${error.code}: ${error.message}`, metadata: trailer });
        });
    };
  }
  server.addService(gatewayGrpcServiceDefinition(options.operations), implementation);
  const { host, port } = parseListenAddress(options.listen);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(host, port), ServerCredentials.createInsecure(), (err, actual) => {
      if (err !== null) {
        reject(new GatewayError(GatewayErrorCode.StartFailed, `the gRPC API cannot listen on ${options.listen}: ${err.message}; set grpc.listen to a free address or grpc.enabled: false`, { cause: err }));
      } else {
        resolve(actual);
      }
    });
  });
  return {
    address: formatHostPort(host, boundPort),
    close: () =>
      new Promise<void>((resolve) => {
        // Real time on purpose: shutting a socket down is I/O, not behaviour a simulation replays.
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
