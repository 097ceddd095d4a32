import { isHypermeshError, type PluginContext, type PluginMetrics } from '@hypermesh/runtime';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { AuthOutcome, Credentials } from '../auth/authenticate.js';
import { roleAllows, type Principal } from '../auth/roles.js';
import type { AuditLog, AuditOutcome } from '../audit/audit-log.js';
import { GatewayError, GatewayErrorCode, SERVICE_ERROR_STATUS } from '../errors.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { GatewayMetrics } from '../metrics.js';
import { inputIssues, type AnyOperation, type OperationContext, type TextResult } from './operation.js';
import type { ServiceAccess } from './service-access.js';

/** One call of an operation, as the REST or gRPC front end hands it over. */
export interface ApiCall {
  readonly operation: AnyOperation;
  readonly credentials: Credentials;
  /** The client's address, for rate limits of unauthenticated callers and the audit log. */
  readonly client: string;
  readonly transport: 'http' | 'grpc';
  readonly requestId: string;
  /** Reads the raw input `{ params, query, body }`; may throw a GatewayError (400, 413, 415). */
  readonly input: () => Promise<unknown>;
}

/** The JSON error body every failure is answered with. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** The answer to a call: HTTP status, body (JSON value or text) and extra headers. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** Set when the body is not JSON. */
  readonly text?: TextResult;
}

/** What the dispatcher needs. */
export interface DispatcherOptions {
  readonly nodeId: string;
  readonly authenticate: (credentials: Credentials) => AuthOutcome;
  /** Buckets per principal; `undefined` when rate limiting is off. */
  readonly callerLimiter: RateLimiter | undefined;
  /** Buckets per client address for requests without valid credentials. */
  readonly anonymousLimiter: RateLimiter | undefined;
  /** `undefined` when auditing is off. */
  readonly audit: AuditLog | undefined;
  /** The audit log answering `GET /v1/audit` (kept even when auditing is off, then empty). */
  readonly auditReader: AuditLog;
  readonly keys: ApiKeyStore;
  readonly services: ServiceAccess;
  readonly metrics: GatewayMetrics;
  readonly registry: PluginMetrics['registry'];
  readonly now: () => number;
  readonly logger: PluginContext['logger'];
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  if (status === 403) return 'denied';
  if (status === 400 || status === 413 || status === 415) return 'invalid';
  if (status === 429) return 'rate-limited';
  return 'failed';
}

/** Keeps `details` only when it is plain JSON. */
function jsonDetails(details: Record<string, unknown> | undefined): unknown {
  if (details === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(details)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The request pipeline both front ends share: authenticate → rate limit → authorise → read and
 * validate input → run → audit (mutating calls) → metrics. Every failure becomes a JSON error
 * `{ error: { code, message, details? } }` with its status; nothing escapes as an exception.
 */
export function createDispatcher(options: DispatcherOptions): (call: ApiCall) => Promise<ApiAnswer> {
  const { metrics, logger } = options;

  const failure = (call: ApiCall, err: unknown): ApiAnswer => {
    if (err instanceof GatewayError) {
      return { status: err.status, headers: err.headers, body: { error: { code: err.code, message: err.message, details: jsonDetails(err.details) } } };
    }
    if (isHypermeshError(err)) {
      const status = SERVICE_ERROR_STATUS[err.code] ?? 500;
      if (status >= 500) logger.error({ err, requestId: call.requestId, operation: call.operation.id }, 'a service call failed');
      return { status, headers: {}, body: { error: { code: err.code, message: err.message, details: jsonDetails(err.details) } } };
    }
    logger.error({ err, requestId: call.requestId, operation: call.operation.id }, 'unexpected failure answering an API call');
    return {
      status: 500,
      headers: {},
      body: {
        error: { code: GatewayErrorCode.Internal, message: `internal error answering ${call.operation.id} (request ${call.requestId}); the node's log has the cause` },
      },
    };
  };

  const authenticateCall = (call: ApiCall): Principal => {
    const outcome = options.authenticate(call.credentials);
    if (outcome.kind === 'ok') return outcome.principal;
    const verdict = options.anonymousLimiter?.take(call.client);
    if (verdict !== undefined && !verdict.allowed) {
      metrics.rateLimited.inc({ caller: 'unauthenticated' });
      throw new GatewayError(GatewayErrorCode.RateLimited, `too many requests without valid credentials from ${call.client}; retry in ${verdict.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(verdict.retryAfterSeconds) },
        details: { retryAfterSeconds: verdict.retryAfterSeconds },
      });
    }
    metrics.authFailures.inc({ reason: outcome.kind });
    const message =
      outcome.kind === 'missing'
        ? `${call.operation.id} needs credentials: send "Authorization: Bearer <API key or JWT>" (the CLI reads --token or HYPERMESH_TOKEN)`
        : `the credentials were refused: ${outcome.reason}`;
    throw new GatewayError(GatewayErrorCode.Unauthenticated, message, { headers: { 'www-authenticate': 'Bearer realm="hypermesh"' } });
  };

  const authorize = (call: ApiCall, principal: Principal): void => {
    const verdict = options.callerLimiter?.take(`${principal.via}:${principal.id}`);
    if (verdict !== undefined && !verdict.allowed) {
      metrics.rateLimited.inc({ caller: 'authenticated' });
      throw new GatewayError(GatewayErrorCode.RateLimited, `'${principal.id}' sent too many requests; retry in ${verdict.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(verdict.retryAfterSeconds) },
        details: { retryAfterSeconds: verdict.retryAfterSeconds },
      });
    }
    const required = call.operation.role;
    if (required !== 'public' && !roleAllows(principal.role, required)) {
      metrics.authFailures.inc({ reason: 'forbidden' });
      throw new GatewayError(
        GatewayErrorCode.Forbidden,
        `'${principal.id}' has role ${principal.role}, but ${call.operation.id} needs ${required} or above`,
        { details: { role: principal.role, required } },
      );
    }
  };

  const run = async (call: ApiCall, principal: Principal | undefined): Promise<unknown> => {
    const raw = await call.input();
    const parsed = call.operation.input.safeParse(raw);
    if (!parsed.success) {
      const issues = inputIssues(parsed.error);
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        `invalid request for ${call.operation.id}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        { details: { issues } },
      );
    }
    const context: OperationContext = {
      principal,
      nodeId: options.nodeId,
      now: options.now,
      service: (ref) => options.services.require(ref, call.operation.id),
      optionalService: (ref) => options.services.optional(ref),
      keys: options.keys,
      audit: options.auditReader,
      metrics: options.registry,
    };
    return { input: parsed.data as unknown, result: await call.operation.run(parsed.data, context) };
  };

  return async (call) => {
    const started = process.hrtime.bigint();
    const { operation } = call;
    let principal: Principal | undefined;
    let input: unknown;
    let answer: ApiAnswer;
    try {
      if (operation.role !== 'public') {
        principal = authenticateCall(call);
        authorize(call, principal);
      }
      const done = (await run(call, principal)) as { input: unknown; result: unknown };
      input = done.input;
      const result = done.result;
      answer =
        result !== null && typeof result === 'object' && 'contentType' in result && 'text' in result
          ? { status: 200, body: undefined, headers: {}, text: result as TextResult }
          : { status: operation.successStatus ?? 200, body: result ?? null, headers: {} };
    } catch (err) {
      answer = failure(call, err);
      if (answer.status < 500) {
        const error = (answer.body as ErrorBody).error;
        logger.info({ requestId: call.requestId, operation: operation.id, client: call.client, status: answer.status, code: error.code }, error.message);
      }
    }
    if (operation.mutating && principal !== undefined && options.audit !== undefined) {
      const error = answer.status >= 400 ? (answer.body as ErrorBody).error : undefined;
      let target: string | undefined;
      try {
        target = input === undefined ? undefined : operation.target?.(input);
      } catch {
        target = undefined;
      }
      await options.audit.record({
        at: new Date(options.now()).toISOString(),
        requestId: call.requestId,
        who: principal.id,
        role: principal.role,
        via: principal.via,
        client: call.client,
        transport: call.transport,
        operation: operation.id,
        ...(target === undefined ? {} : { target }),
        outcome: outcomeOf(answer.status),
        status: answer.status,
        ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
      });
    }
    metrics.requests.inc({ route: operation.id, transport: call.transport, status: String(answer.status) });
    metrics.duration.observe({ route: operation.id, transport: call.transport }, Number(process.hrtime.bigint() - started) / 1e9);
    return answer;
  };
}
