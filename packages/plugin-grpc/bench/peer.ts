// The far end of the transport benchmark, run as a child process. Mode `grpc`: a HyperMesh node
// with the gRPC transport; mode `tls`: a bare node:tls server with length-prefixed frames (the peer
// the gRPC figures are compared with). Either way it counts `load` messages and echoes `ping` as
// `pong`. It reports to the parent over IPC: { type: 'listening', address }, { type: 'count', n }.
import { createNode, transportRef } from '@hypermesh/runtime';
import { createServer } from 'node:tls';
import { pino } from 'pino';
import { grpcTransportPlugin, grpcTransportRef } from '../src/index.js';
import { FrameReader, frame } from './frames.js';

const { mode, tls, parentAddress } = JSON.parse(process.env.BENCH_PEER ?? '{}') as {
  mode: 'grpc' | 'tls';
  tls: { ca: string; cert: string; key: string };
  parentAddress?: string;
};
let count = 0;
process.on('message', (m: { type: string }) => {
  if (m.type === 'count?') process.send?.({ type: 'count', n: count });
});

if (mode === 'grpc') {
  const node = createNode({
    id: 'b',
    logger: pino({ level: 'error' }, pino.destination(2)),
    plugins: [grpcTransportPlugin],
    config: { '@hypermesh/plugin-grpc': { listen: '127.0.0.1:0', peers: { a: parentAddress! }, tls, limits: { maxQueuedMessages: 65_536 } } },
  });
  await node.start();
  const transport = node.get(transportRef);
  transport.subscribe('load', () => {
    count++;
  });
  transport.subscribe('ping', (from, payload) => transport.send(from, 'pong', payload));
  process.send?.({ type: 'listening', address: node.get(grpcTransportRef).address() });
} else {
  const server = createServer({ ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true }, (socket) => {
    const reader = new FrameReader((channel, payload) => {
      if (channel === 0) count++;
      else socket.write(frame(2, payload));
    });
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.send?.({ type: 'listening', address: `127.0.0.1:${address.port}` });
  });
}
process.on('disconnect', () => process.exit(0));
