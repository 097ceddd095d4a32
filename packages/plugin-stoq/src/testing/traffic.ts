/**
 * Seeded synthetic DNS traffic for the stream scenarios: normal clients with a daily rhythm, and
 * the attacks STOQ must find. Test support only (not part of the package's build).
 */
import type { DnsObservation, Random } from '@hypermesh/runtime';

/** Popular registrable domains and the hostnames used under them. */
const POPULAR = [
  'google.com', 'youtube.com', 'facebook.com', 'wikipedia.org', 'amazon.com', 'apple.com', 'microsoft.com', 'github.com',
  'netflix.com', 'linkedin.com', 'twitter.com', 'instagram.com', 'reddit.com', 'yahoo.com', 'bing.com', 'office.com',
  'live.com', 'zoom.us', 'cloudflare.com', 'akamaiedge.net', 'googleapis.com', 'gstatic.com', 'doubleclick.net', 'fbcdn.net',
  'whatsapp.net', 'spotify.com', 'dropbox.com', 'adobe.com', 'salesforce.com', 'slack.com', 'bbc.co.uk', 'nytimes.com',
  'theguardian.com', 'stackoverflow.com', 'npmjs.org', 'debian.org', 'ubuntu.com', 'mozilla.org', 'paypal.com', 'ebay.com',
  'booking.com', 'weather.com', 'cnn.com', 'espn.com', 'twitch.tv', 'discord.com', 'pinterest.com', 'tiktok.com',
];
const HOSTS = ['www', 'api', 'cdn', 'mail', 'login', 'static', 'images', 'accounts', 'news', 'app'];
const TYPES: readonly DnsObservation['type'][] = ['A', 'A', 'A', 'A', 'A', 'A', 'AAAA', 'AAAA', 'AAAA', 'HTTPS', 'HTTPS', 'TXT', 'MX'];

/** A benign query name. */
export function benignName(random: Random): string {
  const domain = random.pick(POPULAR);
  return random.chance(0.3) ? domain : `${random.pick(HOSTS)}.${domain}`;
}

/** A benign query from `client` at `at`, answered (2 % NXDOMAIN for typos). */
export function benignQuery(random: Random, client: string, at: number): DnsObservation {
  const nx = random.chance(0.02);
  return {
    kind: 'dns',
    at,
    client,
    name: nx ? `${random.pick(HOSTS)}${random.int(9)}.${random.pick(POPULAR)}` : benignName(random),
    type: random.pick(TYPES),
    rcode: nx ? 'NXDOMAIN' : 'NOERROR',
    responseSize: 60 + random.int(200),
  };
}

/** Queries per second of a daily rhythm: `base` at night, up to 3 × `base` in the afternoon. */
export function diurnalRate(base: number, at: number, dayMs = 86_400_000): number {
  const phase = ((at % dayMs) / dayMs) * 2 * Math.PI;
  return base * (2 - Math.cos(phase - Math.PI / 6));
}

/** Next arrival of a Poisson process of `rate` per second after `at`. */
export function nextArrival(random: Random, at: number, rate: number): number {
  return at + random.exponential(1000 / Math.max(rate, 1e-9));
}

/**
 * Normal traffic of `clients` clients between `from` and `to` (ms), each at `base` q/s with the
 * daily rhythm, merged in time order.
 */
export function* normalTraffic(random: Random, clients: readonly string[], from: number, to: number, base: number): Generator<DnsObservation> {
  const next = clients.map(() => nextArrival(random, from, diurnalRate(base, from)));
  for (;;) {
    let i = 0;
    for (let j = 1; j < next.length; j++) if (next[j]! < next[i]!) i = j;
    const at = next[i]!;
    if (at >= to) return;
    yield benignQuery(random, clients[i]!, at);
    next[i] = nextArrival(random, at, diurnalRate(base, at));
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz012345';

/** Random characters from an alphabet. */
export function randomLabel(random: Random, length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[random.int(alphabet.length)];
  return s;
}

/** An iodine-like upstream query: base32 data split into labels of 57 under `domain`. */
export function tunnelName(random: Random, domain: string): string {
  const data = randomLabel(random, 100 + random.int(80), BASE32);
  const labels: string[] = [];
  for (let i = 0; i < data.length; i += 57) labels.push(data.slice(i, i + 57));
  return `${labels.join('.')}.${domain}`;
}

/** A name of a random-letter DGA (12–20 letters under a common TLD). */
export function dgaName(random: Random): string {
  return `${randomLabel(random, 12 + random.int(9), 'abcdefghijklmnopqrstuvwxyz')}.${random.pick(['com', 'net', 'org', 'info', 'biz'])}`;
}
