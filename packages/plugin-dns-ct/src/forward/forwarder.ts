import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClockService } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { canonicalAddress } from '../wire/addresses.js';
import { encodeQuery } from '../wire/query.js';
import { decodeMessage, type DecodedMessage, type WireQuestion } from '../wire/reader.js';
import { Flag, Rcode } from '../wire/record-types.js';
import { WireWriter } from '../wire/writer.js';
import { StreamExchange } from './stream-exchange.js';
import { UdpExchange } from './udp-exchange.js';
import { markFailure, markSuccess, parseUpstream, upstreamOrder, type Upstream } from './upstream.js';

/** Forwarder settings (the `forwarders` and `forward` config). */
export interface ForwarderOptions {
  readonly upstreams: readonly string[];
  readonly timeoutMs: number;
  readonly retries: number;
  readonly udpSize: number;
  readonly maxFailures: number;
  readonly downForMs: number;
  /** CA PEM for DoT upstreams; Node's store when absent. */
  readonly tlsCa?: string | undefined;
  readonly clock: ClockService;
}

/** An upstream's answer. */
export interface ForwardAnswer {
  readonly message: DecodedMessage;
  readonly upstream: Upstream;
  readonly rttMs: number;
}

/** Why every attempt failed; `kind` picks the Extended DNS Error. */
export class ForwardFailure extends DnsCtError {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'rcode',
    readonly lastAnswer?: ForwardAnswer,
  ) {
    super(DnsCtErrorCode.Upstream, message);
  }
}

const RETRY_RCODES = new Set<number>([Rcode.SERVFAIL, Rcode.REFUSED, Rcode.NOTIMP, Rcode.FORMERR]);

/**
 * Forwards questions to upstream resolvers: UDP with TCP when the answer is truncated, or DNS over
 * TLS; a timeout per attempt, retries on other upstreams, and health tracking that takes an
 * upstream out of rotation after repeated failures.
 */
export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly udp: UdpExchange;
  private readonly streams = new Map<string, StreamExchange>();
  private readonly writer = new WireWriter(512);
  private turn = 0;

  constructor(private readonly options: ForwarderOptions) {
    this.upstreams = options.upstreams.map(parseUpstream);
    this.udp = new UdpExchange(options.clock);
  }

  /** Resolves upstream host names to addresses once (answers are matched by source address). */
  async start(): Promise<void> {
    for (const u of this.upstreams) {
      if (isIP(u.host) !== 0) {
        (u as { host: string }).host = canonicalAddress(u.host)!.text;
        continue;
      }
      const { address } = await lookup(u.host);
      (u as { host: string }).host = address;
    }
  }

  /** Closes sockets and connections. */
  close(): void {
    this.udp.close();
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
  }

  private stream(u: Upstream, tls: boolean): StreamExchange {
    const key = `${tls ? 'tls' : 'tcp'}:${u.host}:${u.port}`;
    let s = this.streams.get(key);
    if (s === undefined) {
      s = new StreamExchange({ host: u.host, port: u.port, ...(tls ? { tls: { servername: u.servername, ca: this.options.tlsCa } } : {}) }, this.options.clock);
      this.streams.set(key, s);
    }
    return s;
  }

  /** Asks one upstream; rejects for timeouts, network errors and malformed answers. */
  async ask(u: Upstream, question: WireQuestion, checkingDisabled = false): Promise<ForwardAnswer> {
    const { clock, timeoutMs, udpSize } = this.options;
    const started = clock.now();
    u.queries++;
    const query = () => encodeQuery(this.writer, 0, question, { recursionDesired: true, checkingDisabled, udpSize });
    let bytes: Buffer;
    if (u.protocol === 'tls') {
      bytes = await this.stream(u, true).exchange(query(), timeoutMs);
    } else {
      bytes = await this.udp.exchange(u.host, u.port, query(), question, timeoutMs);
      if ((bytes.readUInt16BE(2) & Flag.TC) !== 0) bytes = await this.stream(u, false).exchange(query(), timeoutMs);
    }
    let message: DecodedMessage;
    try {
      message = decodeMessage(bytes);
    } catch (err) {
      throw new DnsCtError(DnsCtErrorCode.Upstream, `upstream ${u.id} sent a malformed answer: ${(err as Error).message}`, { cause: err });
    }
    if ((message.flags & Flag.QR) === 0 || message.question?.name !== question.name || message.question.type !== question.type) {
      throw new DnsCtError(DnsCtErrorCode.Upstream, `upstream ${u.id} sent an answer that does not match the question`);
    }
    return { message, upstream: u, rttMs: clock.now() - started };
  }

  /**
   * Resolves through the upstreams: tries them in health order, up to 1 + `retries` attempts, and
   * moves on after timeouts, errors, SERVFAIL, REFUSED, NOTIMP or FORMERR.
   */
  async query(question: WireQuestion, checkingDisabled = false): Promise<ForwardAnswer> {
    const { clock, maxFailures, downForMs, retries } = this.options;
    if (this.upstreams.length === 0) throw new ForwardFailure('no upstreams are configured', 'network');
    const order = upstreamOrder(this.upstreams, clock.now(), this.turn++);
    const attempts = Math.min(order.length, 1 + retries);
    const problems: string[] = [];
    let kind: ForwardFailure['kind'] = 'timeout';
    let last: ForwardAnswer | undefined;
    for (let i = 0; i < attempts; i++) {
      const u = order[i]!;
      try {
        const answer = await this.ask(u, question, checkingDisabled);
        if (RETRY_RCODES.has(answer.message.rcode)) {
          markFailure(u, clock.now(), maxFailures, downForMs);
          problems.push(`${u.id} answered rcode ${answer.message.rcode}`);
          kind = 'rcode';
          last = answer;
          continue;
        }
        markSuccess(u, answer.rttMs);
        return answer;
      } catch (err) {
        markFailure(u, clock.now(), maxFailures, downForMs);
        const message = (err as Error).message;
        problems.push(message);
        if (!/did not answer/.test(message)) kind = 'network';
      }
    }
    throw new ForwardFailure(`no upstream answered ${question.name}/${question.type}: ${problems.join('; ')}`, kind, last);
  }

  /**
   * Asks `count` different upstreams at once (healthy first) for agreement; every outcome is
   * returned, failures as errors.
   */
  async queryEach(question: WireQuestion, count: number): Promise<(ForwardAnswer | Error)[]> {
    const { clock, maxFailures, downForMs } = this.options;
    const chosen = upstreamOrder(this.upstreams, clock.now(), this.turn++).slice(0, count);
    return Promise.all(
      chosen.map((u) =>
        this.ask(u, question).then(
          (answer) => {
            if (RETRY_RCODES.has(answer.message.rcode)) markFailure(u, clock.now(), maxFailures, downForMs);
            else markSuccess(u, answer.rttMs);
            return answer;
          },
          (err: Error) => {
            markFailure(u, clock.now(), maxFailures, downForMs);
            return err;
          },
        ),
      ),
    );
  }
}
