import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kdig, startKnot, startUnbound, type KdigResult, type Peer } from '../testing/peers.js';
import { startDnsNode, type DnsTestNode } from '../testing/node.js';

// Conformance against real peers: knot serves a test zone on loopback; this server forwards to it,
// and so does unbound (as a stub zone). kdig asks both the same questions; the answers must mean
// the same: same status, same RRsets (TTLs and order aside), an SOA where the answer is negative.
const ZONE = [
  '$ORIGIN conformance.example.',
  '$TTL 300',
  '@        SOA  ns1 hostmaster 1 3600 600 86400 60',
  '@        NS   ns1',
  'ns1      A    127.0.0.1',
  '@        MX   10 mail',
  'mail     A    192.0.2.25',
  'www      CNAME web',
  'web      A    192.0.2.10',
  'web      A    192.0.2.11',
  'web      AAAA 2001:db8::10',
  'chain1   CNAME chain2',
  'chain2   CNAME web',
  'txt      TXT  "hello world" "second string"',
  `big      TXT  ${Array.from({ length: 30 }, (_, i) => `"${String(i).padStart(2, '0')}${'b'.repeat(48)}"`).join(' ')}`,
  '_http._tcp SRV 0 5 80 web',
  'caa      CAA  0 issue "letsencrypt.org"',
  'leaf.sub TXT  "below an empty non-terminal"',
  '',
].join('\n');

/** Question, type, and what it must be: answers (how many RRs), NODATA or NXDOMAIN. */
const QUESTIONS: [string, string, number | 'NODATA' | 'NXDOMAIN'][] = [
  ['web.conformance.example', 'A', 2],
  ['WEB.Conformance.Example', 'A', 2],
  ['web.conformance.example', 'AAAA', 1],
  ['www.conformance.example', 'A', 3],
  ['chain1.conformance.example', 'AAAA', 3],
  ['conformance.example', 'MX', 1],
  ['txt.conformance.example', 'TXT', 1],
  ['big.conformance.example', 'TXT', 1],
  ['_http._tcp.conformance.example', 'SRV', 1],
  ['caa.conformance.example', 'CAA', 1],
  ['web.conformance.example', 'MX', 'NODATA'],
  ['sub.conformance.example', 'A', 'NODATA'],
  ['nx.conformance.example', 'A', 'NXDOMAIN'],
  ['nx.sub.conformance.example', 'TXT', 'NXDOMAIN'],
];

/** What an answer means: status, answer RRs without TTLs (sorted), and the kind of authority. */
function meaning(r: KdigResult) {
  const rr = (f: string[]) => [f[0]!.toLowerCase(), f[2], f[3], ...f.slice(4)].join(' ');
  return {
    status: r.status,
    answers: r.answers.map(rr).sort(),
    authority: r.authorities.map((f) => `${f[0]!.toLowerCase()} ${f[3]}`).sort(),
    truncated: r.flags.includes('tc'),
  };
}

describe('conformance with knot and unbound', () => {
  let knot: Peer;
  let unbound: Peer;
  let ours: DnsTestNode;

  beforeAll(async () => {
    knot = await startKnot('conformance.example', ZONE);
    unbound = await startUnbound({ forwardTo: [`127.0.0.1@${knot.port}`], stubZone: 'conformance.example' });
    ours = await startDnsNode({ forwarders: [`127.0.0.1:${knot.port}`] });
  }, 60_000);
  afterAll(async () => {
    await ours?.stop();
    await unbound?.stop();
    await knot?.stop();
  });

  it.each(QUESTIONS)('%s %s means the same from this server and from unbound', async (name, type, expected) => {
    for (const transport of ['+notcp', '+tcp']) {
      const mine = await kdig(['@127.0.0.1', '-p', String(ours.addresses.udp.port), transport, name, type]);
      const theirs = await kdig(['@127.0.0.1', '-p', String(unbound.port), transport, name, type]);
      expect(meaning(mine), `${name} ${type} over ${transport}`).toEqual(meaning(theirs));
      // kdig +notcp does not retry a truncated answer over TCP: both servers must set TC there
      if (name.startsWith('big.') && transport === '+notcp') expect(meaning(mine)).toMatchObject({ truncated: true, answers: [] });
      else if (typeof expected === 'number') expect(mine).toMatchObject({ status: 'NOERROR', answers: { length: expected } });
      else expect(meaning(mine)).toMatchObject({ status: expected === 'NODATA' ? 'NOERROR' : 'NXDOMAIN', answers: [], authority: ['conformance.example. SOA'] });
    }
  });

  it('answers the same again from its cache', async () => {
    for (const [name, type] of QUESTIONS) {
      const mine = await kdig(['@127.0.0.1', '-p', String(ours.addresses.udp.port), name, type]);
      const theirs = await kdig(['@127.0.0.1', '-p', String(unbound.port), name, type]);
      expect(meaning(mine), `${name} ${type}`).toEqual(meaning(theirs));
    }
    expect(ours.node.metrics).toBeDefined();
    const text = await ours.node.metrics.metrics();
    expect(Number(/hypermesh_dns_cache_hits_total\{node="node-1"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(QUESTIONS.length);
  });
});
