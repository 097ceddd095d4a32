// Test helpers: a network namespace joined to this one by a veth pair, with unique names and
// addresses, removed again by `remove()` (not exported from the package).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why root suites cannot run here, or undefined when they can. */
export function rootSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the eBPF suites need root (CI runs them as root)';
  return undefined;
}

/** A peer namespace on the other end of a veth pair. */
export interface VethNamespace {
  /** The namespace name (`ip netns exec <ns> …`). */
  readonly ns: string;
  /** The veth end in this (root) namespace, where programs attach. */
  readonly hostIf: string;
  readonly peerIf: string;
  readonly hostV4: string;
  readonly peerV4: string;
  readonly hostV6: string;
  readonly peerV6: string;
  /** Runs a command inside the namespace. */
  exec(command: string, args: readonly string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running command inside the namespace (killed by remove()). */
  spawn(command: string, args: readonly string[]): ChildProcess;
  /** Deletes the namespace (and so both veth ends) and kills what was spawned. Idempotent. */
  remove(): Promise<void>;
}

/** Creates a namespace and a veth pair with random /30 IPv4 and /64 IPv6 addresses. */
export async function createVethNamespace(): Promise<VethNamespace> {
  const id = randomBytes(4).toString('hex');
  const ns = `hm-ebpf-${id}`;
  const hostIf = `hmh${id}`;
  const peerIf = `hmp${id}`;
  const [a = 0, b = 0] = randomBytes(2);
  const base = `10.${200 + (a % 50)}.${b}`;
  const quad = (randomBytes(1)[0] ?? 0) & 0xfc;
  const hostV4 = `${base}.${quad + 1}`;
  const peerV4 = `${base}.${quad + 2}`;
  const hostV6 = `fd00:${id.slice(0, 4)}:${id.slice(4)}::1`;
  const peerV6 = `fd00:${id.slice(0, 4)}:${id.slice(4)}::2`;
  const children: ChildProcess[] = [];
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
  };
  try {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `${hostV4}/30`, 'dev', hostIf]);
    await run('ip', ['-6', 'addr', 'add', `${hostV6}/64`, 'dev', hostIf, 'nodad']);
    await run('ip', ['link', 'set', hostIf, 'up']);
    const inNs = (args: string[]) => run('ip', ['netns', 'exec', ns, 'ip', ...args]);
    await inNs(['addr', 'add', `${peerV4}/30`, 'dev', peerIf]);
    await inNs(['-6', 'addr', 'add', `${peerV6}/64`, 'dev', peerIf, 'nodad']);
    await inNs(['link', 'set', peerIf, 'up']);
    await inNs(['link', 'set', 'lo', 'up']);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    ns,
    hostIf,
    peerIf,
    hostV4,
    peerV4,
    hostV6,
    peerV6,
    exec: (command, args, timeoutMs = 20_000) => run('ip', ['netns', 'exec', ns, command, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }),
    spawn(command, args) {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    remove,
  };
}
