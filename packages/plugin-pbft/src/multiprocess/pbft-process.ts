// One HyperMesh node — the gRPC transport with mutual TLS, the PBFT plugin and the key-value state
// machine — run as a child process by the multi-process test and the benchmark. Its spec comes in
// HYPERMESH_PBFT_NODE (JSON); it talks to the parent over IPC (see grpc-cluster.ts for the messages).
// Run: node --conditions=hypermesh-source --import tsx pbft-process.ts
import { createGrpcTransport } from '@hypermesh/plugin-grpc';
import { consensusRef, createKeyring, createNode, keysRef, transportRef, type JsonValue } from '@hypermesh/runtime';
import { pino } from 'pino';
import { createKeyValuePlugin, pbftPlugin, PLUGIN_NAME } from '../index.js';
import type { ChildCommand, ChildEvent, NodeSpec } from './grpc-cluster.js';
import { closedLoop } from './load.js';

const spec = JSON.parse(process.env.HYPERMESH_PBFT_NODE ?? '{}') as NodeSpec;
const send = (event: ChildEvent) => process.send?.(event);
const logger = pino({ level: process.env.HYPERMESH_TEST_LOG ?? 'error' }, pino.destination(2));
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

const transport = createGrpcTransport({
  config: {
    nodeId: spec.nodeId,
    listen: '127.0.0.1:0',
    tls: spec.tls,
    reconnect: { initialBackoff: 20, maxBackoff: 300, connectTimeout: 2_000 },
    stopGrace: 200,
  },
  logger,
});
await transport.start();
send({ type: 'listening', address: transport.address() });

const peers = await new Promise<Record<string, string>>((resolve) => {
  const onPeers = (command: ChildCommand) => {
    if (command.type !== 'peers') return;
    process.off('message', onPeers);
    resolve(command.peers);
  };
  process.on('message', onPeers);
});
transport.setPeers(peers);

const keys = createKeyring({
  nodeId: spec.nodeId,
  privateKey: bytes(spec.privateKey),
  publicKeys: Object.fromEntries(Object.entries(spec.publicKeys).map(([id, key]) => [id, bytes(key)])),
});
const node = createNode({
  id: spec.nodeId,
  logger,
  plugins: [pbftPlugin, createKeyValuePlugin()],
  config: { [PLUGIN_NAME]: { replicas: spec.replicas, ...spec.pbft } },
  overrides: [
    [transportRef, transport],
    [keysRef, keys],
  ],
});
await node.start();
const consensus = node.get(consensusRef);

process.on('message', (command: ChildCommand) => {
  switch (command.type) {
    case 'submit':
      consensus.submit('kv', command.operation as JsonValue, { timeoutMs: command.timeoutMs }).then(
        (result) => send({ type: 'result', id: command.id, result }),
        (error: unknown) => send({ type: 'result', id: command.id, error: error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : String(error) }),
      );
      break;
    case 'status':
      send({ type: 'status', id: command.id, status: consensus.status(), transport: transport.stats() });
      break;
    case 'load':
      void closedLoop((_, value, key) => consensus.submit('kv', { op: 'set', key, value }), [0], command).then((r) =>
        send({ type: 'load', id: command.id, latencies: r.latencies, failures: r.failures }),
      );
      break;
  }
});

const shutdown = () => void node.stop().finally(() => transport.stop().finally(() => process.exit(0)));
process.on('SIGTERM', shutdown);
process.on('disconnect', shutdown);
send({ type: 'ready' });
