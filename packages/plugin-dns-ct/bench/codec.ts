// In-process cost of parsing a query and writing its answer: this package's codec against
// dns-packet doing the same work (decode + encode, without name compression).
import type { DnsRecord, DnsResolution } from '@hypermesh/runtime';
import packet from 'dns-packet';
import { PreparedAnswers } from '../src/server/prepared-answers.js';
import { parseQuery } from '../src/wire/query.js';
import { Flag } from '../src/wire/record-types.js';
import { encodeResponse } from '../src/wire/response.js';
import { WireWriter } from '../src/wire/writer.js';

const ROUNDS = 7;
const N = 50_000;

function median(op: () => void): number {
  for (let i = 0; i < N; i++) op();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) op();
    samples.push(Number(process.hrtime.bigint() - t0) / N);
  }
  return samples.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

/** Rows of [codec, ns per query]. */
export function codecRows(): [string, number][] {
  const query = packet.encode({
    id: 1,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name: 'h1.bench.example', type: 'A' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer],
  });
  const record: DnsRecord = { name: 'h1.bench.example', type: 'A', ttl: 300, data: '192.0.2.1' };
  const writer = new WireWriter();
  let sink = 0;
  const ours = median(() => {
    const q = parseQuery(query);
    if (!q.ok) throw new Error(q.reason);
    const { bytes } = encodeResponse(writer, {
      id: q.query.id,
      flags: (q.query.flags & Flag.RD) | Flag.RA,
      rcode: 0,
      query: { buf: query, questionEnd: q.query.questionEnd },
      question: q.query.question,
      answers: [record],
      authorities: [],
      additionals: [],
      edns: { udpSize: 1232, dnssecOk: false, options: [] },
      limit: 1232,
    });
    sink += bytes.length;
  });
  const resolution: DnsResolution = {
    question: { name: 'h1.bench.example', type: 'A' },
    rcode: 'NOERROR',
    answers: [record],
    authorities: [],
    additionals: [],
    authoritative: false,
    source: 'cache',
    extendedErrors: [],
  };
  const prepared = new PreparedAnswers();
  const first = parseQuery(query);
  if (!first.ok) throw new Error(first.reason);
  const edns = { udpSize: 1232, dnssecOk: false };
  prepared.remember(resolution, first.query, encodeResponse(writer, {
    id: 1,
    flags: Flag.RD | Flag.RA,
    rcode: 0,
    query: { buf: query, questionEnd: first.query.questionEnd },
    question: first.query.question,
    answers: [record],
    authorities: [],
    additionals: [],
    edns: { ...edns, options: [] },
    limit: 1232,
  }));
  const fast = median(() => {
    const q = parseQuery(query);
    if (!q.ok) throw new Error(q.reason);
    sink += prepared.write(resolution, q.query, query, Flag.RD | Flag.RA, 0, edns, 1232)!.length;
  });
  const theirs = median(() => {
    const q = packet.decode(query);
    const bytes = packet.encode({
      id: q.id,
      type: 'response',
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
      questions: q.questions,
      answers: [{ name: 'h1.bench.example', type: 'A', ttl: 300, data: '192.0.2.1' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer],
    });
    sink += bytes.length;
  });
  if (sink === 0) throw new Error('unreachable');
  return [
    ['this package (parseQuery + encodeResponse, with compression)', ours],
    ['this package, cache-hit fast path (parseQuery + prepared record sections)', fast],
    ['dns-packet 5.6 (decode + encode, no compression)', theirs],
  ];
}
