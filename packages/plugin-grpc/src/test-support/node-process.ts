// One HyperMesh node with the gRPC transport plugin, run as a child process by the multi-process
// tests. It takes its config from HYPERMESH_NODE_CONFIG (JSON) and talks to the parent over IPC:
//   parent → child: { type: 'peers', peers } | { type: 'send', to, channel, data } | { type: 'broadcast', channel, data }
//   child → parent: { type: 'listening', address } | { type: 'status', peer, status } | { type: 'message', from, channel, data }
// Payloads travel as UTF-8 text. Run: node --conditions=hypermesh-source --import tsx node-process.ts
import { createNode, transportRef } from '@hypermesh/runtime';
import { pino } from 'pino';
import { grpcTransportPlugin, grpcTransportRef } from '../plugin.js';

type Command =
  | { type: 'peers'; peers: Record<string, string> }
  | { type: 'send'; to: string; channel: string; data: string }
  | { type: 'broadcast'; channel: string; data: string }
  | { type: 'subscribe'; channel: string };

const { nodeId, channels, ...config } = JSON.parse(process.env.HYPERMESH_NODE_CONFIG ?? '{}') as { nodeId: string; channels: string[] } & Record<string, unknown>;
const send = (message: unknown) => process.send?.(message);
const node = createNode({
  id: nodeId,
  logger: pino({ level: process.env.HYPERMESH_TEST_LOG ? 'debug' : 'error' }, pino.destination(2)),
  plugins: [grpcTransportPlugin],
  config: { '@hypermesh/plugin-grpc': config },
});
await node.start();
const transport = node.get(transportRef);
const grpc = node.get(grpcTransportRef);
const subscribe = (channel: string) => transport.subscribe(channel, (from, payload) => send({ type: 'message', from, channel, data: Buffer.from(payload).toString('utf8') }));
for (const channel of channels) subscribe(channel);
transport.onPeerStatus((peer, status) => send({ type: 'status', peer, status }));
process.on('message', (command: Command) => {
  switch (command.type) {
    case 'peers':
      grpc.setPeers(command.peers);
      break;
    case 'send':
      send({ type: 'sent', to: command.to, accepted: transport.send(command.to, command.channel, Buffer.from(command.data)) });
      break;
    case 'broadcast':
      transport.broadcast(command.channel, Buffer.from(command.data));
      break;
    case 'subscribe':
      subscribe(command.channel);
      break;
  }
});
const shutdown = () => void node.stop().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('disconnect', shutdown);
send({ type: 'listening', address: grpc.address() });
