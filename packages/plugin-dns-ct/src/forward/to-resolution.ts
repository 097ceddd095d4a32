import type { DnsAnswerSource, DnsQuestion, DnsRecord, DnsResolution, ExtendedDnsError } from '@hypermesh/runtime';
import { isSubdomain } from '../wire/names.js';
import { extendedErrorsOf, type DecodedMessage } from '../wire/reader.js';
import { TypeCode, rcodeName, typeCode } from '../wire/record-types.js';

/**
 * Keeps the answer records that belong to the question: the CNAME chain from the question name
 * and the RRset of the asked type at its end. Anything else an upstream adds is dropped, so it
 * cannot enter the cache (RFC 5452 §6, the "bailiwick" habit of resolvers).
 */
export function answerChain(qname: string, qtype: number, answers: readonly DnsRecord[]): DnsRecord[] {
  const out: DnsRecord[] = [];
  const visited = new Set<string>();
  let target = qname;
  for (let hops = 0; hops < 16; hops++) {
    const direct = answers.filter((r) => r.name === target && (qtype === TypeCode.ANY || typeCode(r.type) === qtype));
    if (direct.length > 0) {
      out.push(...direct);
      break;
    }
    const cname = answers.find((r) => r.name === target && r.type === 'CNAME');
    if (cname === undefined || visited.has(target)) break;
    visited.add(target);
    out.push(cname);
    target = cname.data as string;
  }
  return out;
}

/** The resolution an upstream answer gives: minimal sections, the SOA kept for negative caching. */
export function resolutionFromMessage(question: DnsQuestion, qtype: number, message: DecodedMessage, source: DnsAnswerSource): DnsResolution {
  const rcode = rcodeName(message.rcode);
  const answers = rcode === 'NOERROR' || rcode === 'NXDOMAIN' ? answerChain(question.name, qtype, message.answers) : [];
  // a negative answer (possibly at the end of a CNAME chain) keeps the SOA of the chain end's zone
  const end = answers.length > 0 && answers.every((r) => r.type === 'CNAME') ? (answers[answers.length - 1]!.data as string) : question.name;
  const negative = answers.length === 0 || end !== question.name;
  const authorities = negative ? message.authorities.filter((r) => r.type === 'SOA' && isSubdomain(end, r.name)).slice(0, 1) : [];
  const extendedErrors: ExtendedDnsError[] = extendedErrorsOf(message.edns);
  return { question, rcode, answers, authorities, additionals: [], authoritative: false, source, extendedErrors };
}
