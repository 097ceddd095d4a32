import {
  dnsQueryHook,
  type ClockService,
  type DatapathService,
  type DnsQueryEvent,
  type DnsQueryVerdict,
  type DnsResolution,
  type DnsTransport,
  type ExtendedDnsError,
  type HookApi,
} from '@hypermesh/runtime';
import type { DnsResolveRequest } from '../resolver/hooks.js';
import type { ResolverChain } from '../resolver/chain.js';
import { emptyResolution } from '../resolver/resolution.js';
import { bump, type DnsCounters } from '../metrics.js';
import { parseQuery, type ParsedQuery, type QueryRejection } from '../wire/query.js';
import { EdeCode, Flag, Rcode, TypeCode, rcodeCode, typeName } from '../wire/record-types.js';
import { encodeResponse, extendedErrorOptions } from '../wire/response.js';
import { WireWriter } from '../wire/writer.js';
import type { ClientAcl } from './cidr.js';
import { PreparedAnswers } from './prepared-answers.js';

/** Options of {@link QueryHandler}. */
export interface QueryHandlerOptions {
  readonly hooks: HookApi;
  readonly chain: ResolverChain;
  readonly clock: ClockService;
  readonly counters: DnsCounters;
  readonly acl: ClientAcl;
  /** Present when the `datapath` service exists: its `admit` verdicts are enforced here. */
  readonly datapath: DatapathService | undefined;
  /** Largest UDP response for EDNS clients. */
  readonly udpSize: number;
  /** Sets RA in responses (true when upstreams are configured). */
  readonly recursionAvailable: boolean;
  /** Reports a malformed message (the caller logs it, rate-limited). */
  readonly onMalformed: (reason: string, client: string, transport: DnsTransport) => void;
}

const ECHO_FLAGS = Flag.RD | Flag.CD | (0xf << 11);

/**
 * Turns one DNS message into the bytes to send back (or nothing): parse at the edge, datapath
 * admission, allowed clients, the `dns.query` hook, the resolver chain, encoding with truncation.
 * Shared by the UDP, TCP, DoT and DoH listeners. Never throws for bad input.
 */
export class QueryHandler {
  private readonly writer = new WireWriter();
  private readonly prepared = new PreparedAnswers();

  constructor(private readonly options: QueryHandlerOptions) {}

  /** Answers `message` from `client`; undefined means send nothing. */
  async handle(message: Buffer, client: string, clientPort: number, transport: DnsTransport): Promise<Buffer | undefined> {
    const { counters, datapath, acl, hooks } = this.options;
    counters.queries[transport]++;
    const parsed = parseQuery(message);
    if (!parsed.ok) {
      bump(counters.malformed, parsed.reply);
      this.options.onMalformed(parsed.reason, client, transport);
      return this.reject(parsed.reply, parsed.id, parsed.flags, parsed.query, message, transport);
    }
    const query = parsed.query;
    if (datapath !== undefined) {
      const verdict = datapath.admit(client);
      if (verdict !== 'pass') {
        bump(counters.dropped, verdict === 'block' ? 'datapath-block' : 'datapath-rate-limit');
        return undefined;
      }
    }
    if (!acl.open && !acl.allows(client)) {
      return this.error(query, message, transport, Rcode.REFUSED, [{ infoCode: EdeCode.Prohibited, extraText: `client ${client} is not allowed to query this server` }]);
    }
    const { type, qclass } = query.question;
    if (qclass !== 1) return this.error(query, message, transport, Rcode.REFUSED, [{ infoCode: EdeCode.NotSupported, extraText: 'only class IN is served' }]);
    if (type === TypeCode.AXFR || type === TypeCode.IXFR) {
      return this.error(query, message, transport, Rcode.REFUSED, [{ infoCode: EdeCode.Prohibited, extraText: 'zone transfers are not offered' }]);
    }
    if (type === TypeCode.MAILA || type === TypeCode.MAILB || type === TypeCode.TKEY || type === TypeCode.TSIG) {
      return this.error(query, message, transport, Rcode.NOTIMP, []);
    }
    const event: DnsQueryEvent = {
      client,
      clientPort,
      transport,
      id: query.id,
      question: { name: query.question.name, type: typeName(type) },
      size: message.length,
      receivedAt: this.options.clock.now(),
    };
    if (hooks.hasTaps(dnsQueryHook)) {
      let verdict: DnsQueryVerdict | undefined;
      try {
        verdict = hooks.callSync(dnsQueryHook, event);
      } catch {
        verdict = undefined; // a failing observer must not take DNS down; the runtime counts the error
      }
      if (verdict !== undefined) {
        if (verdict.action === 'drop') {
          bump(counters.dropped, 'policy');
          return undefined;
        }
        if (verdict.action === 'refuse') {
          return this.error(query, message, transport, Rcode.REFUSED, [{ infoCode: EdeCode.Blocked, extraText: verdict.reason }]);
        }
        if (transport === 'udp') return this.respond(query, message, transport, emptyResolution(event.question, 'NOERROR', 'policy'), true);
      }
    }
    const request: DnsResolveRequest = {
      question: event.question,
      qtype: type,
      client,
      transport,
      checkingDisabled: (query.flags & Flag.CD) !== 0,
      purpose: 'query',
      signal: undefined,
    };
    const resolution = await this.options.chain.resolve(request, event);
    return this.respond(query, message, transport, resolution, false);
  }

  private limit(query: ParsedQuery | undefined, transport: DnsTransport): number {
    if (transport !== 'udp') return 65535;
    const edns = query?.edns;
    return edns === undefined ? 512 : Math.max(512, Math.min(edns.udpSize, this.options.udpSize));
  }

  /** Encodes a resolution for the client; `forceTruncate` sends an empty TC answer (rate-limit slip). */
  private respond(query: ParsedQuery, message: Buffer, transport: DnsTransport, resolution: DnsResolution, forceTruncate: boolean): Buffer {
    const { counters } = this.options;
    const rcode = rcodeCode(resolution.rcode);
    const flags = (query.flags & ECHO_FLAGS) | (resolution.authoritative ? Flag.AA : 0) | (this.options.recursionAvailable ? Flag.RA : 0);
    const limit = this.limit(query, transport);
    const edns = query.edns === undefined ? undefined : { udpSize: this.options.udpSize, dnssecOk: query.edns.dnssecOk };
    if (!forceTruncate && resolution.extendedErrors.length === 0) {
      const fast = this.prepared.write(resolution, query, message, flags, rcode, edns, limit);
      if (fast !== undefined) {
        bump(counters.responses, resolution.rcode);
        return fast;
      }
    }
    const encoded = encodeResponse(this.writer, {
      id: query.id,
      flags,
      rcode,
      query: { buf: message, questionEnd: query.questionEnd },
      question: query.question,
      answers: forceTruncate ? [] : resolution.answers,
      authorities: forceTruncate ? [] : resolution.authorities,
      additionals: forceTruncate ? [] : resolution.additionals,
      edns: edns === undefined ? undefined : { ...edns, options: extendedErrorOptions(resolution.extendedErrors) },
      limit,
    });
    if (!forceTruncate) this.prepared.remember(resolution, query, encoded);
    const bytes = encoded.bytes;
    if (forceTruncate) bytes.writeUInt16BE(bytes.readUInt16BE(2) | Flag.TC, 2);
    if (encoded.truncated || forceTruncate) counters.truncated++;
    bump(counters.responses, resolution.rcode);
    return bytes;
  }

  /** An error response without records (REFUSED, NOTIMP, …) that echoes the question. */
  private error(query: ParsedQuery, message: Buffer, transport: DnsTransport, rcode: number, ede: readonly ExtendedDnsError[]): Buffer {
    const name = rcode === Rcode.REFUSED ? 'REFUSED' : rcode === Rcode.NOTIMP ? 'NOTIMP' : 'FORMERR';
    const question = { name: query.question.name, type: typeName(query.question.type) };
    return this.respond(query, message, transport, emptyResolution(question, name, 'policy', ede), false);
  }

  private reject(reply: QueryRejection, id: number, flags: number, query: ParsedQuery | undefined, message: Buffer, transport: DnsTransport): Buffer | undefined {
    if (reply === 'drop') return undefined;
    const rcode = reply === 'BADVERS' ? Rcode.BADVERS : reply === 'NOTIMP' ? Rcode.NOTIMP : Rcode.FORMERR;
    // BADVERS needs an OPT record to carry the extended RCODE (RFC 6891 §6.1.3)
    const edns = reply === 'BADVERS' || query?.edns !== undefined ? { udpSize: this.options.udpSize, dnssecOk: false, options: [] } : undefined;
    const response = encodeResponse(this.writer, {
      id,
      flags: flags & ECHO_FLAGS,
      rcode,
      ...(query === undefined ? {} : { query: { buf: message, questionEnd: query.questionEnd }, question: query.question }),
      answers: [],
      authorities: [],
      additionals: [],
      edns,
      limit: this.limit(query, transport),
    });
    bump(this.options.counters.responses, reply);
    return response.bytes;
  }
}
