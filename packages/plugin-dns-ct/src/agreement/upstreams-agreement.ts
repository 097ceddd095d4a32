import type { DnsQuestion, DnsResolution } from '@hypermesh/runtime';
import type { ForwardAnswer, Forwarder } from '../forward/forwarder.js';
import { ForwardFailure } from '../forward/forwarder.js';
import { resolutionFromMessage } from '../forward/to-resolution.js';
import { EdeCode } from '../wire/record-types.js';
import type { DnsDisagreement } from '../resolver/hooks.js';
import { emptyResolution } from '../resolver/resolution.js';
import { rrsetDigest } from './rrset-digest.js';

/** What asking several upstreams gave. */
export interface UpstreamsAgreement {
  readonly resolution: DnsResolution;
  /** Present when the upstreams did not all give the same answer. */
  readonly disagreement?: DnsDisagreement;
}

/**
 * `agreement: upstreams` — asks `ask` upstreams at once and accepts the answer (rcode and RRset,
 * TTLs aside) that at least `quorum` of them returned identically. Disagreement is reported even
 * when a quorum exists; without a quorum the answer is SERVFAIL with an Extended DNS Error.
 */
export async function agreeUpstreams(
  forwarder: Forwarder,
  question: DnsQuestion,
  qtype: number,
  ask: number,
  quorum: number,
  now: () => number,
): Promise<UpstreamsAgreement> {
  const wire = { name: question.name, type: qtype, qclass: 1 };
  const outcomes = await forwarder.queryEach(wire, ask);
  const groups = new Map<string, { resolution: DnsResolution; from: string[] }>();
  const failures: string[] = [];
  for (const outcome of outcomes) {
    if (outcome instanceof Error) {
      failures.push(outcome.message);
      continue;
    }
    const answer = outcome as ForwardAnswer;
    const resolution = resolutionFromMessage(question, qtype, answer.message, 'upstream');
    if (resolution.rcode !== 'NOERROR' && resolution.rcode !== 'NXDOMAIN') {
      failures.push(`${answer.upstream.id} answered ${resolution.rcode}`);
      continue;
    }
    const digest = rrsetDigest(resolution.rcode, resolution.answers);
    const group = groups.get(digest);
    if (group === undefined) groups.set(digest, { resolution, from: [answer.upstream.id] });
    else {
      group.from.push(answer.upstream.id);
      // the agreed answer keeps the smallest TTLs any agreeing upstream gave
      if (Math.min(...resolution.answers.map((r) => r.ttl)) < Math.min(...group.resolution.answers.map((r) => r.ttl))) group.resolution = resolution;
    }
  }
  if (groups.size === 0) throw new ForwardFailure(`no upstream answered ${question.name}/${question.type}: ${failures.join('; ')}`, 'timeout');
  const ranked = [...groups.entries()].sort((a, b) => b[1].from.length - a[1].from.length);
  const [, best] = ranked[0]!;
  const agreed = best.from.length >= quorum;
  const disagreement: DnsDisagreement | undefined =
    groups.size > 1 || !agreed
      ? {
          question,
          mode: 'upstreams',
          answers: ranked.map(([rrset, g]) => ({ rrset, from: g.from })),
          outcome: agreed ? 'quorum' : 'servfail',
          at: now(),
        }
      : undefined;
  if (agreed) return disagreement === undefined ? { resolution: best.resolution } : { resolution: best.resolution, disagreement };
  const summary = ranked.map(([, g]) => `${g.from.length}× from ${g.from.join(', ')}`).join(' vs ');
  return {
    resolution: emptyResolution(question, 'SERVFAIL', 'upstream', [
      { infoCode: EdeCode.Other, extraText: `upstreams disagree, no ${quorum} identical answers: ${summary}` },
    ]),
    disagreement: disagreement!,
  };
}
