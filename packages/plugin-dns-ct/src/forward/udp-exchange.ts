import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { ClockService, TimerHandle } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { nameCursor, readName } from '../wire/names.js';
import type { WireQuestion } from '../wire/reader.js';

interface Pending {
  readonly host: string;
  readonly port: number;
  readonly question: WireQuestion;
  readonly resolve: (response: Buffer) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

interface PooledSocket {
  readonly socket: dgram.Socket;
  readonly pending: Map<number, Pending>;
}

const cursor = nameCursor();

/** Does `response` answer `question`? (RFC 5452 §9.1: id, address, port and question must match.) */
function answersQuestion(response: Buffer, question: WireQuestion): boolean {
  if (response.length < 12 || response.readUInt16BE(4) !== 1) return false;
  try {
    readName(response, 12, response.length, cursor);
    const at = cursor.next;
    return cursor.name === question.name && response.readUInt16BE(at) === question.type && response.readUInt16BE(at + 2) === question.qclass;
  } catch {
    return false;
  }
}

/**
 * Sends queries to upstreams over UDP from a small pool of sockets on random ports with random
 * message ids, and accepts only responses whose id, source and question match (RFC 5452).
 */
export class UdpExchange {
  private readonly pools = new Map<4 | 6, PooledSocket[]>();
  /** Datagrams that matched no pending query (late, spoofed or malformed). */
  unmatched = 0;

  constructor(
    private readonly clock: ClockService,
    private readonly poolSize = 4,
  ) {}

  private pool(family: 4 | 6): PooledSocket[] {
    let pool = this.pools.get(family);
    if (pool === undefined) {
      pool = [];
      for (let i = 0; i < this.poolSize; i++) {
        const socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
        const pooled: PooledSocket = { socket, pending: new Map() };
        socket.on('message', (msg, rinfo) => this.onMessage(pooled, msg, rinfo));
        socket.on('error', () => undefined); // per-query errors surface as timeouts
        socket.bind(0);
        socket.unref();
        pool.push(pooled);
      }
      this.pools.set(family, pool);
    }
    return pool;
  }

  private onMessage(pooled: PooledSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12) {
      this.unmatched++;
      return;
    }
    const id = msg.readUInt16BE(0);
    const p = pooled.pending.get(id);
    if (p === undefined || rinfo.port !== p.port || rinfo.address !== p.host || !answersQuestion(msg, p.question)) {
      this.unmatched++;
      return;
    }
    pooled.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    p.resolve(msg);
  }

  /**
   * Sends `query` (its id is overwritten with a fresh random one) and resolves with the matching
   * response, or rejects with `E_DNS_UPSTREAM` after `timeoutMs`.
   */
  exchange(host: string, port: number, query: Buffer, question: WireQuestion, timeoutMs: number): Promise<Buffer> {
    // upstream hosts are IP addresses in canonical text here: only IPv6 has a colon
    const pool = this.pool(host.includes(':') ? 6 : 4);
    const pooled = pool[randomInt(pool.length)]!;
    let id = randomInt(0x10000);
    while (pooled.pending.has(id)) id = (id + 1) & 0xffff;
    query.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        pooled.pending.delete(id);
        reject(new DnsCtError(DnsCtErrorCode.Upstream, `upstream ${host}:${port} did not answer over UDP within ${timeoutMs} ms`));
      }, timeoutMs);
      pooled.pending.set(id, { host, port, question, resolve, reject, timer });
      pooled.socket.send(query, port, host, (err) => {
        if (err === null || err === undefined) return;
        if (pooled.pending.get(id)?.timer !== timer) return;
        pooled.pending.delete(id);
        this.clock.clearTimeout(timer);
        reject(new DnsCtError(DnsCtErrorCode.Upstream, `cannot send to upstream ${host}:${port}: ${err.message}`, { cause: err }));
      });
    });
  }

  /** Closes the sockets; pending queries fail. */
  close(): void {
    for (const pool of this.pools.values()) {
      for (const { socket, pending } of pool) {
        for (const p of pending.values()) {
          this.clock.clearTimeout(p.timer);
          p.reject(new DnsCtError(DnsCtErrorCode.Aborted, 'the forwarder stopped'));
        }
        pending.clear();
        socket.close();
      }
    }
    this.pools.clear();
  }
}
