// Parent side of a PBFT cluster whose nodes are separate Node processes talking gRPC with mutual
// TLS on loopback (pbft-process.ts is the child). Used by the multi-process test and the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClusterCa, type ClusterCa } from '@hypermesh/plugin-grpc/certs';
import { generateNodeKeys, type ConsensusStatus, type JsonValue } from '@hypermesh/runtime';
import type { PbftConfigInput } from '../config.js';

const SCRIPT = fileURLToPath(new URL('./pbft-process.ts', import.meta.url));

/** What a child process is told about itself (env HYPERMESH_PBFT_NODE). */
export interface NodeSpec {
  readonly nodeId: string;
  readonly replicas: readonly string[];
  /** Raw Ed25519 keys, base64. */
  readonly privateKey: string;
  readonly publicKeys: Record<string, string>;
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  readonly pbft: PbftConfigInput;
}

/** Parent → child. */
export type ChildCommand =
  | { type: 'peers'; peers: Record<string, string> }
  | { type: 'submit'; id: number; operation: JsonValue; timeoutMs?: number }
  | { type: 'status'; id: number }
  | { type: 'load'; id: number; concurrency: number; payloadBytes: number; durationMs: number; warmupMs: number };

/** Child → parent. */
export type ChildEvent =
  | { type: 'listening'; address: string }
  | { type: 'ready' }
  | { type: 'result'; id: number; result?: JsonValue; error?: string }
  | { type: 'status'; id: number; status: ConsensusStatus; transport: { refusedStreams: Record<string, number>; peers: Record<string, { status: string }> } }
  | { type: 'load'; id: number; latencies: number[]; failures: number };

/** A command without its request id (the parent adds it). */
export type ChildRequest = Extract<ChildCommand, { id: number }> extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

/** A node running in a child process. */
export interface ChildNode {
  readonly id: string;
  readonly process: ChildProcess;
  readonly address: string;
  /** Sends a command and resolves with the child's answer to it. */
  request<T extends ChildEvent>(command: ChildRequest): Promise<T>;
  kill(): Promise<void>;
}

/** A cluster of child processes. */
export interface GrpcCluster {
  readonly ca: ClusterCa;
  readonly replicas: readonly ChildNode[];
  readonly clients: readonly ChildNode[];
  submit(node: ChildNode, operation: JsonValue, timeoutMs?: number): Promise<JsonValue>;
  status(node: ChildNode): Promise<Extract<ChildEvent, { type: 'status' }>>;
  stop(): Promise<void>;
}

function spawnChild(spec: NodeSpec): { child: ChildProcess; listening: Promise<string>; ready: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--conditions=hypermesh-source', '--import', 'tsx', SCRIPT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, HYPERMESH_PBFT_NODE: JSON.stringify(spec) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const early = exited.then(() => {
    throw new Error(`node '${spec.nodeId}' exited before it was ready (exit code ${child.exitCode})`);
  });
  early.catch(() => undefined);
  const listening = Promise.race([
    new Promise<string>((resolve) => child.on('message', (e: ChildEvent) => e.type === 'listening' && resolve(e.address))),
    early,
  ]);
  const ready = Promise.race([new Promise<void>((resolve) => child.on('message', (e: ChildEvent) => e.type === 'ready' && resolve())), early]);
  listening.catch(() => undefined);
  ready.catch(() => undefined);
  return { child, listening, ready, exited };
}

/**
 * Starts `replicas` replica processes (`replica-0` …) and `clients` client-only processes
 * (`client-0` …), each with a certificate from a fresh cluster CA and its own Ed25519 key.
 */
export async function startGrpcCluster(options: { replicas: number; clients?: number; pbft?: PbftConfigInput }): Promise<GrpcCluster> {
  const ca = createClusterCa();
  const replicaIds = Array.from({ length: options.replicas }, (_, i) => `replica-${i}`);
  const clientIds = Array.from({ length: options.clients ?? 0 }, (_, i) => `client-${i}`);
  const all = [...replicaIds, ...clientIds];
  const keys = generateNodeKeys(all);
  const publicKeys = Object.fromEntries(all.map((id) => [id, Buffer.from(keys[id]!.publicKey).toString('base64')]));
  const started = all.map((id) => {
    const cert = ca.issueNodeCertificate(id);
    const spec: NodeSpec = {
      nodeId: id,
      replicas: replicaIds,
      privateKey: Buffer.from(keys[id]!.privateKey).toString('base64'),
      publicKeys,
      tls: { ca: ca.caCertPem, cert: cert.certPem, key: cert.keyPem },
      pbft: options.pbft ?? {},
    };
    return { id, ...spawnChild(spec) };
  });
  const killAll = () => started.forEach((s) => s.child.kill('SIGKILL'));
  let addresses: string[];
  try {
    addresses = await Promise.all(started.map((s) => s.listening));
    for (const s of started) {
      const peers = Object.fromEntries(started.map((o, j) => [o.id, addresses[j]!]).filter(([id]) => id !== s.id));
      s.child.send({ type: 'peers', peers } satisfies ChildCommand);
    }
    await Promise.all(started.map((s) => s.ready));
  } catch (err) {
    killAll();
    throw err;
  }
  let nextId = 1;
  const nodes: ChildNode[] = started.map((s, i) => {
    // One listener per child routes answers to the request that asked.
    const waiting = new Map<number, { resolve: (e: ChildEvent) => void; reject: (err: Error) => void }>();
    s.child.on('message', (e: ChildEvent) => {
      if (!('id' in e)) return;
      waiting.get(e.id)?.resolve(e);
      waiting.delete(e.id);
    });
    void s.exited.then(() => {
      for (const w of waiting.values()) w.reject(new Error(`node '${s.id}' exited before answering`));
      waiting.clear();
    });
    return {
      id: s.id,
      process: s.child,
      address: addresses[i]!,
      request<T extends ChildEvent>(command: ChildRequest): Promise<T> {
        if (!s.child.connected) return Promise.reject(new Error(`node '${s.id}' is not running`));
        const id = nextId++;
        return new Promise<T>((resolve, reject) => {
          waiting.set(id, { resolve: resolve as (e: ChildEvent) => void, reject });
          s.child.send({ ...command, id } as ChildCommand);
        });
      },
      async kill() {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
        await s.exited;
      },
    };
  });
  const replicas = nodes.slice(0, replicaIds.length);
  const clients = nodes.slice(replicaIds.length);
  return {
    ca,
    replicas,
    clients,
    async submit(node, operation, timeoutMs) {
      const answer = await node.request<Extract<ChildEvent, { type: 'result' }>>({ type: 'submit', operation, timeoutMs });
      if (answer.error !== undefined) throw new Error(answer.error);
      return answer.result!;
    },
    status: (node) => node.request({ type: 'status' }),
    async stop() {
      await Promise.all(
        started.map(async (s) => {
          if (s.child.exitCode !== null || s.child.signalCode !== null) return;
          s.child.kill('SIGTERM');
          const timer = setTimeout(() => s.child.kill('SIGKILL'), 3000);
          await s.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
