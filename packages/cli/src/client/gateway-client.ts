import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** The default API address: what `hypermesh up` serves. */
export const DEFAULT_API = 'http://127.0.0.1:8080';

/** Options of {@link GatewayClient}. */
export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8080` (`127.0.0.1:8080` is accepted too). */
  readonly api: string;
  /** API key or JWT sent as `Authorization: Bearer`. */
  readonly token?: string | undefined;
  /** How long to wait for an answer (ms). Default 30 000. */
  readonly timeoutMs?: number;
}

interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: { readonly issues?: readonly { path: string; message: string }[] } };
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Normalises `127.0.0.1:8080` to `http://127.0.0.1:8080` and drops a trailing slash. */
export function normaliseApiUrl(api: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(api) ? api : `http://${api}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(CliErrorCode.Usage, `--api ${JSON.stringify(api)} is not a URL; write e.g. http://127.0.0.1:8080`, ExitCode.Usage);
  }
  return url.href.replace(/\/$/, '');
}

function exitCodeOf(status: number): ExitCode {
  if (status === 400 || status === 413 || status === 415) return ExitCode.InvalidInput;
  if (status === 401 || status === 403) return ExitCode.Unauthorized;
  if (status === 404) return ExitCode.NotFound;
  if (status === 503) return ExitCode.Unavailable;
  return ExitCode.Failed;
}

/**
 * The CLI's way to a running cluster: JSON over HTTP to the gateway. Every failure becomes a
 * {@link CliError} whose message says what to do and whose exit code says what happened.
 */
export class GatewayClient {
  /** The normalised base URL. */
  readonly api: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: GatewayClientOptions) {
    this.api = normaliseApiUrl(options.api);
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `host:port` of the API, as messages quote it. */
  get address(): string {
    return new URL(this.api).host;
  }

  /** GET a path and return the JSON answer. */
  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.request<T>('GET', qs === '' ? path : `${path}?${qs}`);
  }

  /** Sends a request and returns the JSON answer, or throws a CliError. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.api}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.connectionError(err);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(
        CliErrorCode.BadAnswer,
        `the server at ${this.address} is not a HyperMesh gateway (HTTP ${response.status}, ${response.headers.get('content-type') ?? 'no content type'})`,
        ExitCode.Failed,
      );
    }
    if (response.ok) return json as T;
    throw this.apiError(response.status, json);
  }

  private connectionError(err: unknown): CliError {
    const error = err as Error & { cause?: { code?: string } };
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return new CliError(
        CliErrorCode.Unreachable,
        `the cluster at ${this.address} did not answer within ${Math.round(this.timeoutMs / 1000)} s; check it with \`hypermesh status\` or raise --timeout`,
        ExitCode.Unreachable,
        { cause: err },
      );
    }
    const code = error.cause?.code;
    if (code !== undefined && CONNECTION_ERRORS.has(code)) {
      return new CliError(CliErrorCode.Unreachable, `no cluster is answering at ${this.address}; start one with \`hypermesh up\` (or pass --api)`, ExitCode.Unreachable, {
        cause: err,
        details: { errno: code },
      });
    }
    return new CliError(CliErrorCode.Unreachable, `cannot reach the cluster at ${this.address}: ${error.cause instanceof Error ? error.cause.message : error.message}`, ExitCode.Unreachable, {
      cause: err,
    });
  }

  private apiError(status: number, json: unknown): CliError {
    const error = (json as ApiErrorBody | null)?.error;
    if (error === undefined || typeof error.message !== 'string') {
      return new CliError(CliErrorCode.BadAnswer, `the server at ${this.address} answered HTTP ${status} without a HyperMesh error body`, exitCodeOf(status));
    }
    let message = error.message;
    const issues = error.details?.issues;
    if (issues !== undefined && issues.length > 0) message = `${message.replace(/:.*$/s, '')}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`;
    if (status === 401) message += this.token === undefined ? '\n  (no token given: pass --token, set HYPERMESH_TOKEN, or --token-file)' : '';
    return new CliError(CliErrorCode.Api, message, exitCodeOf(status), { details: { status, code: error.code, error } });
  }
}
