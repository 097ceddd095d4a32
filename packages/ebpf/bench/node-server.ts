// The userspace DNS server of the benchmark, in a process of its own so its CPU time can be read
// from /proc/<pid>/stat: the node:dgram responder of the tests, answering from the same records.
// Usage: node --import tsx bench/node-server.ts <address> <records.json>
import { readFileSync } from 'node:fs';
import { startDnsResponder } from '../src/testing/dns-responder.js';

const [address = '127.0.0.1', recordsFile = ''] = process.argv.slice(2);
const records = new Map<string, string[]>(JSON.parse(readFileSync(recordsFile, 'utf8')) as Array<[string, string[]]>);
const server = await startDnsResponder({ address, records, ttl: 300 });
console.log(JSON.stringify({ port: server.port }));
process.on('SIGTERM', () => {
  console.error(JSON.stringify({ received: server.received() }));
  void server.close().then(() => process.exit(0));
});
