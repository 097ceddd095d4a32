/** The command line of the example resolver. */
import { parseArgs } from 'node:util';

/** What the command line asked for. */
export interface ResolverArgs {
  /** UDP and TCP listen address. */
  readonly listen: string;
  /** Upstream resolvers, `ADDR:PORT` (or `tls://ADDR:PORT#name`). */
  readonly forward: readonly string[];
  /** A master file for the service-discovery zone. */
  readonly zone: string | undefined;
  /** The cluster domain the zone file describes. */
  readonly domain: string;
  /** DNS over TLS / HTTPS listen addresses and their certificate. */
  readonly dot: string | undefined;
  readonly doh: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly logLevel: string;
}

/** The usage text. */
export const USAGE = `usage: hypermesh-dns-resolver [--listen ADDR:PORT] [--forward ADDR:PORT]... [--zone FILE]
                             [--domain NAME] [--dot ADDR:PORT --doh ADDR:PORT --tls-cert PEM --tls-key PEM]
                             [--log-level info]
  --listen     UDP and TCP address (default 127.0.0.1:5353; port 0 picks one)
  --forward    upstream resolver, repeatable (tls://ADDR:PORT#name for DNS over TLS)
  --zone       RFC 1035 master file for the service-discovery zone
  --domain     the cluster domain (default hypermesh.local)
  --dot/--doh  DNS over TLS / HTTPS listeners (need --tls-cert and --tls-key)`;

/** Parses `argv` (without node and the script); throws a message for bad flags. */
export function parseResolverArgs(argv: readonly string[]): ResolverArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      listen: { type: 'string', default: '127.0.0.1:5353' },
      forward: { type: 'string', multiple: true, default: [] },
      zone: { type: 'string' },
      domain: { type: 'string', default: 'hypermesh.local' },
      dot: { type: 'string' },
      doh: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new Error(USAGE);
  return {
    listen: values.listen!,
    forward: values.forward!,
    zone: values.zone,
    domain: values.domain!,
    dot: values.dot,
    doh: values.doh,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    logLevel: values['log-level']!,
  };
}
