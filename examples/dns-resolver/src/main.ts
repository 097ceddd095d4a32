#!/usr/bin/env node
// A one-node DNS resolver: `hypermesh-dns-resolver --listen 127.0.0.1:5353 --forward 9.9.9.9:53 --zone cluster.zone`.
import { parseResolverArgs, USAGE } from './args.js';
import { startResolver } from './resolver.js';

async function main(): Promise<void> {
  let args;
  try {
    args = parseResolverArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message === USAGE ? USAGE : `${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { node, addresses } = await startResolver(args);
  const where = [`udp+tcp ${addresses.udp.host}:${addresses.udp.port}`];
  if (addresses.dot !== undefined) where.push(`dot ${addresses.dot.host}:${addresses.dot.port}`);
  if (addresses.doh !== undefined) where.push(`doh https://${addresses.doh.host}:${addresses.doh.port}/dns-query`);
  // one line on stdout, so scripts can wait for it and read the ports
  console.log(`listening ${where.join(', ')}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`stop after ${signal} failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
