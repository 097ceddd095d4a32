import type { DnsRecord, DnsResolution } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { usageError } from '../errors.js';

/** Record data in zone-file presentation form (RFC 1035 §5.1); bytes arrive as hex. */
export function presentData(record: { type: string; data: unknown }): string {
  const d = record.data as never;
  const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return d;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return fqdn(d);
    case 'TXT':
      return (d as string[]).map((s) => JSON.stringify(s)).join(' ');
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return `${s.priority} ${s.weight} ${s.port} ${fqdn(s.target)}`;
    }
    case 'MX': {
      const m = d as { preference: number; exchange: string };
      return `${m.preference} ${fqdn(m.exchange)}`;
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'TLSA': {
      const t = d as { usage: number; selector: number; matchingType: number; certificate: string };
      return `${t.usage} ${t.selector} ${t.matchingType} ${t.certificate}`;
    }
    default:
      // RFC 3597 §5 generic form; the API sends bytes as hex.
      return typeof d === 'string' ? `\\# ${(d as string).length / 2} ${d}` : JSON.stringify(d);
  }
}

const line = (r: DnsRecord) => `${r.name}.\t${r.ttl}\tIN\t${r.type}\t${presentData(r)}`;

/** Renders a resolution the way dig prints a response. */
export function renderResolution(r: DnsResolution): string[] {
  const flags = [r.authoritative ? 'authoritative' : 'not authoritative', `source ${r.source}`];
  const out = [`;; status: ${r.rcode}, ${flags.join(', ')}`];
  for (const e of r.extendedErrors) out.push(`;; extended error ${e.infoCode}${e.extraText === undefined ? '' : `: ${e.extraText}`}`);
  out.push('', ';; QUESTION SECTION:', `;${r.question.name}.\tIN\t${r.question.type}`);
  const section = (title: string, records: readonly DnsRecord[]) => {
    if (records.length > 0) out.push('', `;; ${title} SECTION:`, ...records.map(line));
  };
  section('ANSWER', r.answers);
  section('AUTHORITY', r.authorities);
  section('ADDITIONAL', r.additionals);
  if (r.certificate !== undefined) out.push('', `;; certificate: ${r.certificate.valid ? 'valid' : `not valid — ${r.certificate.reasons.join('; ')}`}`);
  return out;
}

/** `hypermesh dig NAME [TYPE]`. */
export const digCommand: Command = {
  name: 'dig',
  usage: 'hypermesh dig NAME [TYPE] [--short]',
  summary: "Resolve a name through the cluster's resolver chain (default type A)",
  details: 'Goes through the gateway to the resolver service, so it shows what the cluster answers, including the answer source and extended errors. --short prints only the answer data, like dig +short.',
  options: { short: { type: 'boolean' } },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const [name, type = 'A'] = ctx.positionals as [string, string?];
    if (!/^[A-Za-z0-9]+$/.test(type)) throw usageError(`'${type}' is not a record type; write e.g. A, AAAA, SRV, TXT`);
    const resolution = await ctx.client().get<DnsResolution>('/v1/dns/lookup', { name, type: type.toUpperCase() });
    ctx.out.result(resolution, () => (ctx.values.short === true ? resolution.answers.map(presentData) : renderResolution(resolution)));
  },
};
