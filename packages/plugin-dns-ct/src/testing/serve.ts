/**
 * Test and benchmark support: runs one node with the plugin in its own process, so a test can
 * watch it from outside (crashes, memory, CPU time). The plugin config is the JSON of argv[2].
 * Prints `listening <udp port> <tcp port>` when ready; on stdin, `heap` prints `heap <bytes>`
 * after a full GC (start node with --expose-gc) and `stats` prints the resolver's stats as JSON.
 *
 *   node --expose-gc --import tsx --conditions=hypermesh-source src/testing/serve.ts '{"forwarders":[]}'
 */
import { createInterface } from 'node:readline';
import { createNode, resolverRef } from '@hypermesh/runtime';
import { pino } from 'pino';
import { PLUGIN_NAME } from '../errors.js';
import { dnsCtPlugin } from '../plugin.js';
import { dnsServerRef } from '../server/server-service.js';

const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const node = createNode({
  logger: pino({ level: process.env.HM_SERVE_LOG ?? 'error' }, pino.destination(2)),
  plugins: [dnsCtPlugin],
  config: { [PLUGIN_NAME]: { listen: '127.0.0.1:0', ...config } },
});
await node.start();
const addresses = node.get(dnsServerRef).addresses()!;
console.log(`listening ${addresses.udp.port} ${addresses.tcp.port}`);

const gc = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'heap') {
    gc?.();
    console.log(`heap ${process.memoryUsage().heapUsed}`);
  } else if (line === 'stats') {
    console.log(`stats ${JSON.stringify(node.get(resolverRef).stats())}`);
  } else if (line === 'stop') {
    void node.stop().then(() => process.exit(0));
  }
});
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
