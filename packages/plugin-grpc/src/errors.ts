/**
 * Every error `@hypermesh/plugin-grpc` throws, one registry. `send` refusals use the runtime's
 * `E_TRANSPORT_REFUSED`, which the transport contract names, so callers handle every transport alike.
 */
import { HypermeshError, RuntimeErrorCode, type HypermeshErrorOptions } from '@hypermesh/runtime';

/** The npm name errors and logs carry. */
export const PLUGIN_NAME = '@hypermesh/plugin-grpc';

/** The stable codes of errors thrown by `@hypermesh/plugin-grpc`. */
export const GrpcErrorCode = {
  /** A message was refused at `send`: unknown peer, oversized payload, bad channel, closed transport. */
  TransportRefused: RuntimeErrorCode.TransportRefused,
  /** The TLS material is unreadable, does not name this node, or was not issued by the cluster CA. */
  TlsConfigInvalid: 'E_GRPC_TLS_CONFIG',
  /** The peer list or listen address is unusable (bad node id, this node listed as its own peer). */
  ConfigInvalid: 'E_GRPC_CONFIG',
  /** The server could not listen on its address (in use, no permission, bad host). */
  ListenFailed: 'E_GRPC_LISTEN',
  /** A certificate could not be created from the arguments given (bad node id, host, validity). */
  CertificateInvalid: 'E_GRPC_CERTIFICATE_INVALID',
} as const;

/** One of `@hypermesh/plugin-grpc`'s error codes. */
export type GrpcErrorCode = (typeof GrpcErrorCode)[keyof typeof GrpcErrorCode];

/** An error of `@hypermesh/plugin-grpc`: a {@link HypermeshError} carrying the plugin's name. */
export class GrpcTransportError extends HypermeshError<GrpcErrorCode> {
  constructor(code: GrpcErrorCode, message: string, options: Omit<HypermeshErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin: PLUGIN_NAME });
    this.name = 'GrpcTransportError';
  }
}
