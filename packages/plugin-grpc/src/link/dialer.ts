import { Client, Metadata, type ChannelCredentials, type ChannelOptions, type ClientDuplexStream } from '@grpc/grpc-js';
import type { ClockService, TimerHandle } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { EXCHANGE_PATH, exchangeMethod, NODE_METADATA_KEY } from '../transport/exchange-method.js';
import { Backoff, type BackoffPolicy } from './backoff.js';
import type { PeerLink } from './peer-link.js';

/** What a dialer needs from its transport. */
export interface DialerEnvironment {
  readonly selfId: string;
  readonly credentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
  readonly clock: ClockService;
  readonly backoff: BackoffPolicy;
  readonly connectTimeout: number;
  readonly logger: Logger;
}

/**
 * Keeps a stream open to one peer: dials, hands the stream to the link once the server has
 * accepted this node (its response metadata arrives), and after any failure or loss dials again
 * with exponential backoff. Each attempt uses a fresh channel, so the backoff here is the only one.
 */
export class Dialer {
  private readonly backoff: Backoff;
  private retryTimer: TimerHandle | undefined;
  private client: Client | undefined;
  private call: ClientDuplexStream<Buffer, Buffer> | undefined;
  private stopped = false;
  private failuresInARow = 0;

  constructor(
    private readonly link: PeerLink,
    private readonly env: DialerEnvironment,
  ) {
    this.backoff = new Backoff(env.backoff);
  }

  /** Dials now. */
  start(): void {
    this.attempt();
  }

  /** Stops dialing; the link's stream is ended by the link itself. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.env.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Closes the channel (after the stream had its chance to finish). */
  close(): void {
    this.call?.cancel();
    this.client?.close();
    this.client = undefined;
    this.call = undefined;
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const { link, env } = this;
    link.counters.connectAttempts++;
    env.logger.debug({ peer: link.peer, address: link.address, attempt: link.counters.connectAttempts }, `dialing peer '${link.peer}'`);
    const client = new Client(link.address, env.credentials, env.channelOptions);
    const metadata = new Metadata();
    metadata.set(NODE_METADATA_KEY, env.selfId);
    const call = client.makeBidiStreamRequest(EXCHANGE_PATH, exchangeMethod.requestSerialize, exchangeMethod.responseDeserialize, metadata);
    this.client = client;
    this.call = call;
    let established = false;
    let done = false;
    const timeout = env.clock.setTimeout(() => {
      if (!established) call.cancel();
    }, env.connectTimeout);
    call.on('metadata', () => {
      if (done) return;
      established = true;
      env.clock.clearTimeout(timeout);
      this.backoff.reset();
      this.failuresInARow = 0;
      link.attach(call, 'dialed');
    });
    // 'error' carries the same status as 'status'; a listener is needed so it is not thrown.
    call.on('error', () => undefined);
    call.on('status', (status: { code: number; details: string }) => {
      if (done) return;
      done = true;
      env.clock.clearTimeout(timeout);
      client.close();
      if (this.client === client) {
        this.client = undefined;
        this.call = undefined;
      }
      if (this.stopped) return;
      const delay = this.backoff.next();
      env.logger.debug({ peer: link.peer, code: status.code, details: status.details, retryInMs: delay }, `stream to peer '${link.peer}' closed`);
      if (!established) {
        this.failuresInARow++;
        // the first failure and then every 10th: a peer that stays down must not flood the log
        if (this.failuresInARow === 1 || this.failuresInARow % 10 === 0) {
          env.logger.warn(
            { peer: link.peer, address: link.address, code: status.code, attempts: this.failuresInARow, retryInMs: delay },
            `cannot reach peer '${link.peer}' at ${link.address}: ${status.details}`,
          );
        }
      }
      this.retryTimer = env.clock.setTimeout(() => this.attempt(), delay);
    });
  }
}
