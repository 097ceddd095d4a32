import net from 'node:net';
import tls from 'node:tls';
import type { ClockService, DnsTransport, TimerHandle } from '@hypermesh/runtime';
import type { DnsCounters } from '../metrics.js';
import { clientAddress } from './cidr.js';
import type { QueryHandler } from './query-handler.js';

/** Settings of stream listeners (the `tcp` config). */
export interface StreamSettings {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxPipelined: number;
}

interface Connection {
  readonly socket: net.Socket;
  inflight: number;
  lastActivity: number;
  paused: boolean;
}

/**
 * DNS over TCP (RFC 7766) and, with a TLS context, DNS over TLS (RFC 7858): two-octet length
 * prefixes, queries of one connection answered concurrently and in any order (pipelining), reading
 * paused while `maxPipelined` answers are pending, idle connections closed.
 */
export class StreamListener {
  readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private sweeper: TimerHandle | undefined;

  constructor(
    private readonly handler: QueryHandler,
    private readonly transport: Extract<DnsTransport, 'tcp' | 'dot'>,
    private readonly settings: StreamSettings,
    private readonly clock: ClockService,
    private readonly counters: DnsCounters,
    tlsOptions?: tls.TlsOptions,
  ) {
    this.server =
      tlsOptions === undefined
        ? net.createServer((socket) => this.accept(socket))
        : tls.createServer({ ...tlsOptions, ALPNProtocols: ['dot'] }, (socket) => this.accept(socket));
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
  }

  /** Binds `host:port` (port 0 picks one) and returns the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', reject);
        const period = Math.max(50, Math.floor(this.settings.idleTimeoutMs / 2));
        this.sweeper = this.clock.setInterval(() => this.sweep(), period);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.settings.maxConnections) {
      socket.destroy();
      return;
    }
    const conn: Connection = { socket, inflight: 0, lastActivity: this.clock.now(), paused: false };
    this.connections.add(conn);
    this.counters.streamConnections++;
    socket.setNoDelay(true);
    const client = clientAddress(socket.remoteAddress ?? '');
    const port = socket.remotePort ?? 0;
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      conn.lastActivity = this.clock.now();
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        this.answer(conn, message, client, port);
      }
      if (conn.inflight >= this.settings.maxPipelined && !conn.paused) {
        conn.paused = true;
        socket.pause();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.connections.delete(conn)) this.counters.streamConnections--;
    });
  }

  private answer(conn: Connection, message: Buffer, client: string, port: number): void {
    conn.inflight++;
    this.handler.handle(message, client, port, this.transport).then(
      (response) => this.sent(conn, response),
      () => this.sent(conn, undefined),
    );
  }

  private sent(conn: Connection, response: Buffer | undefined): void {
    conn.inflight--;
    conn.lastActivity = this.clock.now();
    const { socket } = conn;
    if (response !== undefined && !socket.destroyed) {
      const frame = Buffer.allocUnsafe(2 + response.length);
      frame.writeUInt16BE(response.length, 0);
      response.copy(frame, 2);
      socket.write(frame);
    }
    if (conn.paused && conn.inflight < this.settings.maxPipelined) {
      conn.paused = false;
      socket.resume();
    }
  }

  /** RFC 7766 §6.2.3: close connections idle longer than the timeout (never with answers pending). */
  private sweep(): void {
    const now = this.clock.now();
    for (const conn of this.connections) {
      if (conn.inflight > 0 || now - conn.lastActivity < this.settings.idleTimeoutMs) continue;
      // ended at the previous sweep and the client still has not closed: drop it
      if (conn.socket.writableEnded) conn.socket.destroy();
      else conn.socket.end();
    }
  }

  /** Stops accepting and closes every connection. */
  close(): Promise<void> {
    if (this.sweeper !== undefined) this.clock.clearTimeout(this.sweeper);
    for (const conn of this.connections) conn.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
