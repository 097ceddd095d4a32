/**
 * Every error the gateway answers with or throws, one registry: a stable code, the HTTP status it
 * maps to, and the gRPC status code of the same meaning.
 */
import { HypermeshError, type HypermeshErrorOptions } from '@hypermesh/runtime';

/** The plugin's npm name, as errors and logs quote it. */
export const GATEWAY_PLUGIN_NAME = '@hypermesh/plugin-gateway';

/** The stable codes of the gateway's own errors. */
export const GatewayErrorCode = {
  /** No credentials, or credentials that do not verify (bad key, bad signature, expired token). */
  Unauthenticated: 'E_GATEWAY_UNAUTHENTICATED',
  /** The caller's role may not call the operation. */
  Forbidden: 'E_GATEWAY_FORBIDDEN',
  /** The request (path, query or body) failed validation; `details.issues` has every field path. */
  InvalidRequest: 'E_GATEWAY_INVALID_REQUEST',
  /** No route for the path. */
  NotFound: 'E_GATEWAY_NOT_FOUND',
  /** The path exists but not with this method. */
  MethodNotAllowed: 'E_GATEWAY_METHOD_NOT_ALLOWED',
  /** The body is larger than `maxBodyBytes`. */
  PayloadTooLarge: 'E_GATEWAY_PAYLOAD_TOO_LARGE',
  /** A body that is not `application/json`. */
  UnsupportedMediaType: 'E_GATEWAY_UNSUPPORTED_MEDIA_TYPE',
  /** The caller exceeded its rate limit; `Retry-After` says when to try again. */
  RateLimited: 'E_GATEWAY_RATE_LIMITED',
  /** The service behind the operation is not provided on this node; the message names the plugin. */
  ServiceUnavailable: 'E_GATEWAY_SERVICE_UNAVAILABLE',
  /** The service is present but its contract has no such operation (e.g. workload logs). */
  NotSupported: 'E_GATEWAY_NOT_SUPPORTED',
  /** The named resource (workload, API key) does not exist. */
  ResourceNotFound: 'E_GATEWAY_RESOURCE_NOT_FOUND',
  /** The request conflicts with the current state (e.g. an API key id that exists). */
  Conflict: 'E_GATEWAY_CONFLICT',
  /** An unexpected failure; the log has the cause. */
  Internal: 'E_GATEWAY_INTERNAL',
  /** The gateway could not listen (address in use, permission) or its config files are unusable. */
  StartFailed: 'E_GATEWAY_START_FAILED',
} as const;

/** One of the gateway's error codes. */
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/** HTTP status of each gateway error code. */
export const HTTP_STATUS: Readonly<Record<GatewayErrorCode, number>> = {
  E_GATEWAY_UNAUTHENTICATED: 401,
  E_GATEWAY_FORBIDDEN: 403,
  E_GATEWAY_INVALID_REQUEST: 400,
  E_GATEWAY_NOT_FOUND: 404,
  E_GATEWAY_METHOD_NOT_ALLOWED: 405,
  E_GATEWAY_PAYLOAD_TOO_LARGE: 413,
  E_GATEWAY_UNSUPPORTED_MEDIA_TYPE: 415,
  E_GATEWAY_RATE_LIMITED: 429,
  E_GATEWAY_SERVICE_UNAVAILABLE: 503,
  E_GATEWAY_NOT_SUPPORTED: 501,
  E_GATEWAY_RESOURCE_NOT_FOUND: 404,
  E_GATEWAY_CONFLICT: 409,
  E_GATEWAY_INTERNAL: 500,
  E_GATEWAY_START_FAILED: 500,
};

/**
 * HTTP status for errors of other plugins that reach the gateway through a service call. A code
 * not listed here is a 500 unless the service's error says otherwise.
 */
export const SERVICE_ERROR_STATUS: Readonly<Record<string, number>> = {
  E_SCHED_INVALID: 400,
  E_SCHED_UNSCHEDULABLE: 409,
  E_SCHED_QUOTA: 409,
  E_SCHED_NOT_FOUND: 404,
  E_CONSENSUS_TIMEOUT: 504,
  E_CONSENSUS_INVALID: 409,
  E_CONSENSUS_NAMESPACE: 503,
  E_CERT_PARSE: 400,
  E_DNS_QUESTION: 400,
};

/** An error of the gateway: a stable code (see {@link GatewayErrorCode}) and its HTTP status. */
export class GatewayError extends HypermeshError<GatewayErrorCode> {
  /** The HTTP status the error is answered with. */
  readonly status: number;
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: Omit<HypermeshErrorOptions, 'plugin'> & { headers?: Record<string, string> } = {},
  ) {
    super(code, message, { ...options, plugin: GATEWAY_PLUGIN_NAME });
    this.name = 'GatewayError';
    this.status = HTTP_STATUS[code];
    this.headers = options.headers ?? {};
  }
}
