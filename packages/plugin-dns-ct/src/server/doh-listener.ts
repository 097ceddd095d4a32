import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import type { DnsCounters } from '../metrics.js';
import { decodeMessage } from '../wire/reader.js';
import { clientAddress } from './cidr.js';
import type { QueryHandler } from './query-handler.js';

const MEDIA_TYPE = 'application/dns-message';
const BASE64URL = /^[A-Za-z0-9_-]+=*$/;

/** The `max-age` of a DoH response: the smallest TTL in it (RFC 8484 §5.1), 0 for errors. */
function maxAge(response: Buffer): number {
  try {
    const m = decodeMessage(response);
    const ttls = [...m.answers, ...m.authorities].map((r) => r.ttl);
    return ttls.length === 0 ? 0 : Math.min(...ttls);
  } catch {
    return 0;
  }
}

/**
 * DNS over HTTPS (RFC 8484) on HTTP/2, with HTTP/1.1 for clients without it: `GET ?dns=` with the
 * query in base64url, or `POST` with an `application/dns-message` body.
 */
export class DohListener {
  readonly server: http2.Http2SecureServer;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly handler: QueryHandler,
    private readonly path: string,
    private readonly counters: DnsCounters,
    tlsOptions: tls.SecureContextOptions,
  ) {
    this.server = http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, (req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket: net.Socket) => {
      this.counters.streamConnections++;
      this.sockets.add(socket);
      socket.once('close', () => {
        this.counters.streamConnections--;
        this.sockets.delete(socket);
      });
    });
    this.server.on('sessionError', () => undefined);
    this.server.on('tlsClientError', () => undefined);
  }

  private fail(res: http2.Http2ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${text}\n`);
  }

  private onRequest(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://doh.invalid');
    if (url.pathname !== this.path) return this.fail(res, 404, `DNS over HTTPS is served at ${this.path}`);
    if (req.method === 'GET') {
      const dns = url.searchParams.get('dns');
      if (dns === null || !BASE64URL.test(dns)) return this.fail(res, 400, "GET needs the query as base64url in the 'dns' parameter");
      const message = Buffer.from(dns, 'base64url');
      if (message.length > 65535) return this.fail(res, 414, 'the query is longer than a DNS message may be');
      this.answer(req, res, message);
      return;
    }
    if (req.method !== 'POST') return this.fail(res, 405, 'use GET or POST', { allow: 'GET, POST' });
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== MEDIA_TYPE) {
      return this.fail(res, 415, `POST needs content-type ${MEDIA_TYPE}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 65535) {
        this.fail(res, 413, 'the body is longer than a DNS message may be');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= 65535) this.answer(req, res, Buffer.concat(chunks));
    });
    req.on('error', () => undefined);
  }

  private answer(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, message: Buffer): void {
    const client = clientAddress(req.socket?.remoteAddress ?? '');
    this.handler.handle(message, client, req.socket?.remotePort ?? 0, 'doh').then(
      (response) => {
        if (res.closed || res.destroyed) return;
        if (response === undefined) return this.fail(res, 403, 'the query was refused by policy');
        res.writeHead(200, { 'content-type': MEDIA_TYPE, 'content-length': String(response.length), 'cache-control': `max-age=${maxAge(response)}` });
        res.end(response);
      },
      () => this.fail(res, 500, 'internal error'),
    );
  }

  /** Binds `host:port` (port 0 picks one) and returns the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting and closes sessions. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // close() waits for open sessions; end them
      for (const socket of this.sockets) socket.destroy();
    });
  }
}
