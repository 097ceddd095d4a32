import { randomInt } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { ClockService, TimerHandle } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';

/** Where and how a stream connection goes. */
export interface StreamTarget {
  readonly host: string;
  readonly port: number;
  /** DNS over TLS (RFC 7858) with this server name and CA; plain TCP when absent. */
  readonly tls?: { readonly servername: string; readonly ca?: string | undefined };
}

interface Pending {
  readonly resolve: (response: Buffer) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

/**
 * One pipelined stream connection to an upstream (RFC 7766 §6.2.1.1): length-prefixed messages,
 * answers matched by id in any order. It connects on first use, reconnects after an error and
 * closes after `idleMs` without queries.
 */
export class StreamExchange {
  private socket: net.Socket | undefined;
  private ready: Promise<net.Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private idleTimer: TimerHandle | undefined;

  constructor(
    private readonly target: StreamTarget,
    private readonly clock: ClockService,
    private readonly idleMs = 10_000,
  ) {}

  private label(): string {
    return `${this.target.tls === undefined ? 'tcp' : 'tls'}://${this.target.host}:${this.target.port}`;
  }

  private connect(timeoutMs: number): Promise<net.Socket> {
    this.ready ??= new Promise<net.Socket>((resolve, reject) => {
      const { host, port } = this.target;
      const socket =
        this.target.tls === undefined
          ? net.connect({ host, port })
          : tls.connect({ host, port, servername: this.target.tls.servername, ca: this.target.tls.ca, ALPNProtocols: ['dot'] });
      this.socket = socket;
      const timer = this.clock.setTimeout(() => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      socket.setNoDelay(true);
      socket.once(this.target.tls === undefined ? 'connect' : 'secureConnect', () => {
        this.clock.clearTimeout(timer);
        resolve(socket);
      });
      // events of a socket that was already replaced concern nobody
      socket.on('data', (data: Buffer) => {
        if (this.socket === socket) this.onData(data);
      });
      socket.on('error', (err) => {
        this.clock.clearTimeout(timer);
        reject(err);
        if (this.socket === socket) this.fail(err);
      });
      socket.on('close', () => {
        this.clock.clearTimeout(timer);
        reject(new Error('connection closed'));
        if (this.socket === socket) this.fail(new Error('connection closed by the upstream'));
      });
    });
    return this.ready;
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    if (this.buffered < 2) return;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const length = buf.readUInt16BE(0);
      const message = buf.subarray(2, 2 + length);
      buf = buf.subarray(2 + length);
      if (message.length < 12) continue;
      const p = this.pending.get(message.readUInt16BE(0));
      if (p === undefined) continue;
      this.pending.delete(message.readUInt16BE(0));
      this.clock.clearTimeout(p.timer);
      p.resolve(Buffer.from(message));
    }
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
  }

  private fail(err: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = undefined;
    this.chunks = [];
    this.buffered = 0;
    socket?.destroy();
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(new DnsCtError(DnsCtErrorCode.Upstream, `upstream ${this.label()} failed: ${err.message}`, { cause: err }));
    }
    this.pending.clear();
  }

  private touch(): void {
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.pending.size === 0) this.close();
      else this.touch();
    }, this.idleMs);
  }

  /** Sends `query` (its id is replaced by a free random one) and resolves with the answer. */
  async exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    const started = this.clock.now();
    let socket: net.Socket;
    try {
      socket = await this.connect(timeoutMs);
    } catch (err) {
      throw new DnsCtError(DnsCtErrorCode.Upstream, `cannot connect to upstream ${this.label()}: ${(err as Error).message}`, { cause: err });
    }
    this.touch();
    let id = randomInt(0x10000);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    query.writeUInt16BE(id, 0);
    const left = Math.max(1, timeoutMs - (this.clock.now() - started));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new DnsCtError(DnsCtErrorCode.Upstream, `upstream ${this.label()} did not answer within ${timeoutMs} ms`));
      }, left);
      this.pending.set(id, { resolve, reject, timer });
      const frame = Buffer.allocUnsafe(2 + query.length);
      frame.writeUInt16BE(query.length, 0);
      query.copy(frame, 2);
      socket.write(frame);
    });
  }

  /** Closes the connection; pending queries fail. */
  close(): void {
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.fail(new Error('the forwarder closed the connection'));
  }
}
