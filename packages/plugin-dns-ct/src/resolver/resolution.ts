import type { DnsAnswerSource, DnsQuestion, DnsRcode, DnsResolution, ExtendedDnsError } from '@hypermesh/runtime';

/** A resolution without records — an error (SERVFAIL, REFUSED, …) or an empty answer — with its Extended DNS Errors. */
export function emptyResolution(question: DnsQuestion, rcode: DnsRcode, source: DnsAnswerSource, extendedErrors: readonly ExtendedDnsError[] = []): DnsResolution {
  return { question, rcode, answers: [], authorities: [], additionals: [], authoritative: false, source, extendedErrors };
}
