// An n-replica cluster in one process on the runtime's in-memory network, in real time: the PBFT
// plugin exactly as integrators assemble it, with deliveries on setImmediate (no artificial delay).
import { performance } from 'node:perf_hooks';
import {
  consensusRef,
  createKeyring,
  createMemoryNetwork,
  createNode,
  generateNodeKeys,
  keysRef,
  transportRef,
  type ClockService,
  type HypermeshNode,
  type TimerHandle,
} from '@hypermesh/runtime';
import { pino } from 'pino';
import { createKeyValuePlugin, createPbftPlugin, PLUGIN_NAME, type PbftConfigInput, type ReplicaObserver } from '../src/index.js';

export { closedLoop, mean, percentile, type LoadResult } from '../src/multiprocess/load.js';

/** Deliveries as soon as the event loop turns: the network adds no delay of its own. */
const immediate: ClockService = {
  now: () => performance.now(),
  setTimeout: (callback) => setImmediate(callback) as unknown as TimerHandle,
  setInterval: () => {
    throw new Error('not used by the network');
  },
  clearTimeout: (handle) => clearImmediate(handle as unknown as NodeJS.Immediate),
};

export interface InProcessCluster {
  readonly nodes: HypermeshNode[];
  readonly ids: string[];
  disconnect(i: number): void;
  stop(): Promise<void>;
}

export async function inProcessCluster(n: number, config: PbftConfigInput, observer?: (i: number) => ReplicaObserver): Promise<InProcessCluster> {
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const network = createMemoryNetwork({ seed: 'bench', clock: immediate, faults: { latency: 0 } });
  const keys = generateNodeKeys(ids, { seed: 'bench' });
  const publicKeys = Object.fromEntries(ids.map((id) => [id, keys[id]!.publicKey]));
  for (const id of ids) network.transport(id);
  const nodes: HypermeshNode[] = [];
  for (const [i, id] of ids.entries()) {
    const node = createNode({
      id,
      logger: pino({ level: 'silent' }),
      plugins: [createPbftPlugin({ observer: observer?.(i) }), createKeyValuePlugin()],
      config: { [PLUGIN_NAME]: config },
      overrides: [
        [transportRef, network.transport(id)],
        [keysRef, createKeyring({ nodeId: id, privateKey: keys[id]!.privateKey, publicKeys })],
      ],
    });
    await node.start();
    nodes.push(node);
  }
  return {
    nodes,
    ids,
    disconnect: (i) => network.disconnect(ids[i]!),
    stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))),
  };
}

/** Submits a set through node `i`'s consensus service. */
export const submitVia = (cluster: InProcessCluster) => (i: number, value: string, key: string) =>
  cluster.nodes[i]!.get(consensusRef).submit('kv', { op: 'set', key, value });
