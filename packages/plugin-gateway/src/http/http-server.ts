import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiAnswer, ApiCall } from '../api/dispatch.js';
import { encodeJson } from '../api/json.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { formatHostPort, parseListenAddress } from '../listen-address.js';
import type { GatewayMetrics } from '../metrics.js';
import { readJsonBody } from './read-body.js';
import type { Router } from './router.js';

/** The REST front end, once listening. */
export interface HttpFrontEnd {
  /** Base URL, with the port actually bound. */
  readonly url: string;
  /** Stops accepting, closes every connection and frees the port. */
  close(): Promise<void>;
}

/** What {@link startHttpServer} needs. */
export interface HttpServerOptions {
  /** HOST:PORT; port 0 picks a free one. */
  readonly listen: string;
  readonly router: Router;
  readonly dispatch: (call: ApiCall) => Promise<ApiAnswer>;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly metrics: GatewayMetrics;
}

function send(response: ServerResponse, answer: ApiAnswer, requestId: string, head: boolean): void {
  const headers: Record<string, string> = { 'x-request-id': requestId, 'cache-control': 'no-store', ...answer.headers };
  let payload: string;
  if (answer.text !== undefined) {
    headers['content-type'] = answer.text.contentType;
    payload = answer.text.text;
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    payload = encodeJson(answer.body);
  }
  // After a 413 the rest of the upload is not read: close instead of draining it.
  if (answer.status === 413) headers.connection = 'close';
  headers['content-length'] = String(Buffer.byteLength(payload));
  response.writeHead(answer.status, headers);
  response.end(head ? undefined : payload);
}

function errorAnswer(error: GatewayError): ApiAnswer {
  return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } };
}

/** Starts the REST front end on `options.listen`. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpFrontEnd> {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://gateway');
    const method = request.method ?? 'GET';
    const match = options.router.match(method, url.pathname);
    if (match.kind !== 'found') {
      const error =
        match.kind === 'not-found'
          ? new GatewayError(GatewayErrorCode.NotFound, `no API route ${method} ${url.pathname}; the routes are listed in docs/api.md`)
          : new GatewayError(GatewayErrorCode.MethodNotAllowed, `${url.pathname} does not answer ${method}; it answers ${match.allowed.join(', ')}`, {
              headers: { allow: match.allowed.join(', ') },
            });
      options.metrics.requests.inc({ route: '(unmatched)', transport: 'http', status: String(error.status) });
      request.resume();
      send(response, errorAnswer(error), requestId, method === 'HEAD');
      return;
    }
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const answer = await options.dispatch({
      operation: match.operation,
      credentials: { authorization: header('authorization'), apiKey: header('x-api-key') },
      client: request.socket.remoteAddress ?? 'unknown',
      transport: 'http',
      requestId,
      input: async () => ({
        params: match.params,
        query: Object.fromEntries(url.searchParams),
        body: await readJsonBody(request, options.maxBodyBytes),
      }),
    });
    if (!request.readableEnded && answer.status !== 413) request.resume();
    send(response, answer, requestId, method === 'HEAD');
  };

  const server = createServer({ requestTimeout: options.requestTimeoutMs, headersTimeout: Math.min(options.requestTimeoutMs, 60_000) }, (request, response) => {
    handle(request, response).catch((err: unknown) => {
      // The dispatcher answers every failure itself; this is only a broken socket mid-answer.
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy(err as Error);
    });
  });
  const { host, port } = parseListenAddress(options.listen);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new GatewayError(
          GatewayErrorCode.StartFailed,
          `the API gateway cannot listen on ${options.listen}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' — another process uses the port; stop it or set listen to another address' : ''}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${formatHostPort(bound.address, bound.port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
