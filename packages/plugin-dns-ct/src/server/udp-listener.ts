import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { clientAddress } from './cidr.js';
import type { QueryHandler } from './query-handler.js';

/** DNS over UDP (RFC 1035 §4.2.1): one datagram per query, one per answer. */
export class UdpListener {
  readonly socket: dgram.Socket;
  /** Answers the kernel refused to send (full buffers, unreachable clients). */
  sendErrors = 0;

  constructor(private readonly handler: QueryHandler, host: string) {
    this.socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (message, rinfo) => this.onMessage(message, rinfo));
    this.socket.on('error', () => this.sendErrors++);
  }

  private onMessage(message: Buffer, rinfo: dgram.RemoteInfo): void {
    this.handler.handle(message, clientAddress(rinfo.address), rinfo.port, 'udp').then(
      (response) => {
        // no send callback: a failed send surfaces as an 'error' event, counted below
        if (response !== undefined) this.socket.send(response, rinfo.port, rinfo.address);
      },
      () => undefined,
    );
  }

  /** Binds `host:port` (port 0 picks one) and returns the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: host, port, exclusive: true }, () => {
        this.socket.off('error', reject);
        try {
          // absorb bursts (e.g. dnsperf) instead of dropping them in the kernel
          this.socket.setRecvBufferSize(4 * 1024 * 1024);
          this.socket.setSendBufferSize(4 * 1024 * 1024);
        } catch {
          // the kernel's limit applies
        }
        resolve(this.socket.address().port);
      });
    });
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
