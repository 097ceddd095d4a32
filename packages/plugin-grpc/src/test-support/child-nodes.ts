// Starts nodes of node-process.ts as child processes and follows what they report.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClusterCa } from '../certs/cluster-ca.js';

const SCRIPT = fileURLToPath(new URL('./node-process.ts', import.meta.url));

/** A message a child reported. */
export type ChildEvent =
  | { type: 'listening'; address: string }
  | { type: 'status'; peer: string; status: 'up' | 'down' }
  | { type: 'message'; from: string; channel: string; data: string }
  | { type: 'sent'; to: string; accepted: boolean };

/** A node running in a child process. */
export interface ChildNode {
  readonly id: string;
  readonly process: ChildProcess;
  readonly events: ChildEvent[];
  /** The address it listens on, once it said so. */
  readonly address: Promise<string>;
  /** Sends a command (see node-process.ts). */
  command(command: Record<string, unknown>): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Spawns node `id` with a certificate from `ca`; `config` is merged into its plugin config. */
export function spawnNode(ca: ClusterCa, id: string, config: Record<string, unknown> = {}): ChildNode {
  const cert = ca.issueNodeCertificate(id);
  const nodeConfig = {
    nodeId: id,
    channels: ['greet', 'direct'],
    listen: '127.0.0.1:0',
    tls: { ca: ca.caCertPem, cert: cert.certPem, key: cert.keyPem },
    reconnect: { initialBackoff: 50, maxBackoff: 500, connectTimeout: 2_000 },
    stopGrace: 300,
    ...config,
  };
  const child = spawn(process.execPath, ['--conditions=hypermesh-source', '--import', 'tsx', SCRIPT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, HYPERMESH_NODE_CONFIG: JSON.stringify(nodeConfig) },
  });
  const events: ChildEvent[] = [];
  const address = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node '${id}' exited with code ${code} before listening`)));
    child.on('message', (event: ChildEvent) => {
      events.push(event);
      if (event.type === 'listening') resolve(event.address);
    });
  });
  address.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    id,
    process: child,
    events,
    address,
    exited,
    command: (command) => {
      if (child.connected) child.send(command);
    },
  };
}

/** Kills a child (SIGKILL, after SIGCONT in case it was stopped) and waits for it to exit. */
export async function killNode(node: ChildNode): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  node.process.kill('SIGCONT');
  node.process.kill('SIGKILL');
  await node.exited;
}

/** The last status `node` reported for `peer`. */
export function lastStatus(node: ChildNode, peer: string): 'up' | 'down' | undefined {
  const statuses = node.events.filter((e): e is Extract<ChildEvent, { type: 'status' }> => e.type === 'status' && e.peer === peer);
  return statuses.at(-1)?.status;
}

/** Messages `node` received, as `from channel data`. */
export function received(node: ChildNode): string[] {
  return node.events.filter((e): e is Extract<ChildEvent, { type: 'message' }> => e.type === 'message').map((e) => `${e.from} ${e.channel} ${e.data}`);
}
