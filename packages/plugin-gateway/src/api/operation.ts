import type { PluginMetrics, ServiceRef } from '@hypermesh/runtime';
import { z } from 'zod';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { Principal, Role } from '../auth/roles.js';
import type { AuditLog } from '../audit/audit-log.js';

/** The HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What an operation's `run` gets besides its validated input. */
export interface OperationContext {
  /** The caller; `undefined` only for public operations. */
  readonly principal: Principal | undefined;
  /** The node the gateway runs on. */
  readonly nodeId: string;
  /** The clock service's time (ms). */
  readonly now: () => number;
  /** Returns a service, or throws a 503 `E_GATEWAY_SERVICE_UNAVAILABLE` naming the plugin that provides it. */
  service<T>(ref: ServiceRef<T>): T;
  /** Returns a service, or `undefined` when no plugin provides it. */
  optionalService<T>(ref: ServiceRef<T>): T | undefined;
  readonly keys: ApiKeyStore;
  readonly audit: AuditLog;
  /** The node's metrics registry. */
  readonly metrics: PluginMetrics['registry'];
}

/** A result that is not JSON (the Prometheus scrape). */
export class TextResult {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}
}

/**
 * One API operation, served the same way over REST and gRPC: its route, the role it needs, whether
 * it is audited, and a zod schema of its input `{ params, query, body }`.
 */
export interface Operation<Input = unknown> {
  /** Stable id, used in metrics and the audit log, e.g. `workloads.deploy`. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path with `:param` segments, e.g. `/v1/workloads/:name`. */
  readonly path: string;
  /** Method name in the gRPC service, e.g. `DeployWorkload`. */
  readonly grpcMethod: string;
  /** The least role that may call it; `public` needs no credentials. */
  readonly role: Role | 'public';
  /** Mutating calls are rate limited like others and written to the audit log. */
  readonly mutating: boolean;
  /** One line for the docs. */
  readonly summary: string;
  /** Validates `{ params, query, body }`. */
  readonly input: z.ZodType<Input>;
  /** HTTP status of a success; default 200. */
  readonly successStatus?: number;
  /** What the call acts on, for the audit log. */
  target?(input: Input): string | undefined;
  /** Does the work. */
  run(input: Input, ctx: OperationContext): unknown;
}

/** An operation of any input type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any>;

/** Defines an operation, inferring its input type from the schema. */
export function defineOperation<S extends z.ZodType>(
  operation: Omit<Operation<z.output<S>>, 'input'> & { readonly input: S },
): Operation<z.output<S>> {
  return operation as Operation<z.output<S>>;
}

type Shape = Record<string, z.ZodType>;

/**
 * The input schema of an operation: path params and query strings (both strings on the wire,
 * coerce where numbers are meant) and the JSON body. Unknown query parameters are ignored;
 * unknown body fields are errors where the body schema is strict.
 */
export function requestSchema<P extends Shape = Record<never, never>, Q extends Shape = Record<never, never>, B extends z.ZodType = z.ZodUndefined>(parts: {
  params?: P;
  query?: Q;
  body?: B;
}) {
  return z.object({
    params: z.object((parts.params ?? {}) as P),
    query: z.object((parts.query ?? {}) as Q),
    body: (parts.body ?? z.unknown().transform(() => undefined)) as B,
  });
}

/** A validation problem, with the path of the field as `body.resources.cpuMillis`. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** Formats a zod path the way the API reports it: `body.ports[0].port`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(request)' : out;
}

/** Every issue of a failed parse. */
export function inputIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}
