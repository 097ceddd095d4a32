import type { ClockService } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import type { DnsCounters } from '../metrics.js';
import { DohListener } from './doh-listener.js';
import type { QueryHandler } from './query-handler.js';
import { StreamListener, type StreamSettings } from './stream-listener.js';
import { UdpListener } from './udp-listener.js';

/** Where the server listens and with what. */
export interface DnsServerOptions {
  readonly handler: QueryHandler;
  readonly clock: ClockService;
  readonly counters: DnsCounters;
  /** UDP and TCP, `HOST:PORT`. */
  readonly listen: string;
  /** DNS over TLS, `HOST:PORT`. */
  readonly listenTls?: string | undefined;
  /** DNS over HTTPS, `HOST:PORT`. */
  readonly listenHttps?: string | undefined;
  readonly dohPath: string;
  /** Certificate and key (PEM) for DoT and DoH. */
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
  readonly stream: StreamSettings;
}

/** An address a listener is bound to. */
export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

/** The addresses the server is bound to (ports resolved when 0 was asked). */
export interface DnsServerAddresses {
  readonly udp: BoundAddress;
  readonly tcp: BoundAddress;
  readonly dot?: BoundAddress;
  readonly doh?: BoundAddress;
}

/** Splits `HOST:PORT` or `[V6]:PORT`. */
export function splitHostPort(text: string): BoundAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (m === null) throw new DnsCtError(DnsCtErrorCode.Config, `'${text}' is not HOST:PORT`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** The listeners of one node: UDP and TCP on one port, optionally DoT and DoH. */
export class DnsServer {
  private udp: UdpListener | undefined;
  private tcp: StreamListener | undefined;
  private dot: StreamListener | undefined;
  private doh: DohListener | undefined;
  private bound: DnsServerAddresses | undefined;

  constructor(private readonly options: DnsServerOptions) {}

  /** The bound addresses; undefined before `start`. */
  addresses(): DnsServerAddresses | undefined {
    return this.bound;
  }

  private bindError(what: string, address: string, err: unknown): DnsCtError {
    return new DnsCtError(DnsCtErrorCode.Listen, `cannot listen for ${what} on ${address}: ${(err as Error).message}; choose another address or free the port`, {
      cause: err,
    });
  }

  /** Binds every configured listener; on failure closes what was bound and rejects with `E_DNS_LISTEN`. */
  async start(): Promise<DnsServerAddresses> {
    const o = this.options;
    try {
      const { host, port } = splitHostPort(o.listen);
      // UDP and TCP share a port; with port 0, retry when the port UDP got is taken for TCP
      for (let attempt = 0; ; attempt++) {
        this.udp = new UdpListener(o.handler, host);
        const udpPort = await this.udp.listen(host, port).catch((err: unknown) => {
          throw this.bindError('UDP', o.listen, err);
        });
        this.tcp = new StreamListener(o.handler, 'tcp', o.stream, o.clock, o.counters);
        try {
          await this.tcp.listen(host, udpPort);
          this.bound = { udp: { host, port: udpPort }, tcp: { host, port: udpPort } };
          break;
        } catch (err) {
          await this.udp.close();
          this.udp = undefined;
          this.tcp = undefined;
          if (port !== 0 || attempt >= 5) throw this.bindError('TCP', `${host}:${udpPort}`, err);
        }
      }
      if (o.listenTls !== undefined || o.listenHttps !== undefined) {
        if (o.tls === undefined) throw new DnsCtError(DnsCtErrorCode.TlsConfig, "DoT and DoH need 'tls.cert' and 'tls.key'");
        const tlsOptions = { cert: o.tls.cert, key: o.tls.key };
        if (o.listenTls !== undefined) {
          const a = splitHostPort(o.listenTls);
          this.dot = new StreamListener(o.handler, 'dot', o.stream, o.clock, o.counters, tlsOptions);
          const p = await this.dot.listen(a.host, a.port).catch((err: unknown) => {
            throw this.bindError('DNS over TLS', o.listenTls!, err);
          });
          this.bound = { ...this.bound!, dot: { host: a.host, port: p } };
        }
        if (o.listenHttps !== undefined) {
          const a = splitHostPort(o.listenHttps);
          this.doh = new DohListener(o.handler, o.dohPath, o.counters, tlsOptions);
          const p = await this.doh.listen(a.host, a.port).catch((err: unknown) => {
            throw this.bindError('DNS over HTTPS', o.listenHttps!, err);
          });
          this.bound = { ...this.bound!, doh: { host: a.host, port: p } };
        }
      }
      return this.bound!;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Closes every listener and connection. */
  async stop(): Promise<void> {
    await Promise.all([this.udp?.close(), this.tcp?.close(), this.dot?.close(), this.doh?.close()]);
    this.udp = this.tcp = this.dot = this.doh = undefined;
    this.bound = undefined;
  }
}
