import type { ResourceQuantities } from '@hypermesh/runtime';
import type { RemovalListener } from './ownership.js';

/** One container instance to run: a workload spec made concrete for one start. */
export interface ContainerSpec {
  /** Unique id (`[a-z0-9-]`, at most 100 characters); the runc container id. */
  readonly id: string;
  /** The id prefix of the agent that owns it (`ownerPrefix`); runc records it as an OCI annotation. */
  readonly owner?: string;
  /** The workload name, used as the container's hostname. */
  readonly hostname: string;
  /** The program and its arguments. */
  readonly command: readonly string[];
  /** Environment variables (runc adds a `PATH` when missing). */
  readonly env: Readonly<Record<string, string>>;
  /** Resource limits: enforced by cgroups under runc, partly by rlimits for plain processes. */
  readonly resources: ResourceQuantities;
  /** runc: the root filesystem directory (default: the busybox-static rootfs). Ignored by `process`. */
  readonly rootfs?: string;
  /** Linux capabilities kept (e.g. `CAP_NET_BIND_SERVICE`); every other one is dropped. */
  readonly capabilities: readonly string[];
  /** `host` shares the node's network namespace; `none` gives runc a private one with loopback only. */
  readonly network: 'host' | 'none';
  /** Receives every line the container writes, as it arrives. */
  readonly onOutput: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** How a container ended. */
export interface ContainerExit {
  /** The exit code, when known (runc: reported by the container's init wrapper). */
  readonly code: number | null;
  /** The signal that ended it, when known (`SIGKILL`, …). */
  readonly signal: string | null;
  /** True when its cgroup's memory limit killed it. */
  readonly oomKilled: boolean;
  /** A sentence: `exited with code 0`, `killed by its cgroup memory limit (OOM)`, … */
  readonly reason: string;
}

/** A running (or finished) container. */
export interface Container {
  readonly id: string;
  /** The runtime that runs it. */
  readonly runtime: 'runc' | 'process';
  /** The host pid of its first process, once known. */
  readonly pid: number | undefined;
  /** Settles once, when every process of the container has exited. */
  readonly exited: Promise<ContainerExit>;
  /** Runs a command inside the container (for exec health checks); never rejects for a failing command. */
  exec(command: readonly string[], timeoutMs: number): Promise<{ readonly code: number | null; readonly output: string }>;
  /** SIGTERM to every process, SIGKILL after `graceMs`; resolves with the exit. */
  stop(graceMs: number): Promise<ContainerExit>;
  /** Releases what the container holds (runc state, bundle, cgroups, work dir). Idempotent; stop first. */
  remove(): Promise<void>;
}

/**
 * A container runtime the node agent runs workloads with. Implementations: `runc` (OCI bundles,
 * cgroups, namespaces, dropped capabilities) and `process` (a plain child process with rlimits).
 * Errors: `start` rejects with `E_SCHED_RUNTIME` when the container cannot start.
 */
export interface ContainerRuntime {
  /** `runc` or `process`. */
  readonly name: 'runc' | 'process';
  /** Which limits and isolation this runtime really applies, as a sentence. */
  readonly enforces: string;
  /** Starts a container and resolves once it runs. */
  start(spec: ContainerSpec): Promise<Container>;
  /**
   * Removes leftovers of earlier runs whose ids start with `prefix` (one node's own): runc
   * containers, bundles and cgroups; recorded process groups still alive and work directories.
   * Calls `onRemoved` for each thing removed.
   */
  cleanup(prefix: string, onRemoved?: RemovalListener): Promise<void>;
}

/** Splits a byte stream into lines of at most `maxBytes` (longer lines are cut), calling `onLine` for each. */
export function lineSplitter(onLine: (line: string) => void, maxBytes = 4096): { write(chunk: Buffer): void; end(): void } {
  let pending = '';
  const emit = (line: string) => {
    for (let i = 0; i < line.length; i += maxBytes) onLine(line.slice(i, i + maxBytes));
    if (line.length === 0) onLine('');
  };
  return {
    write(chunk) {
      pending += chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      if (pending.length > maxBytes * 4) {
        emit(pending);
        pending = '';
      }
    },
    end() {
      if (pending.length > 0) emit(pending);
      pending = '';
    },
  };
}

/** Describes an exit in words. */
export function describeExit(code: number | null, signal: string | null, oomKilled: boolean, stoppedByUs: boolean): string {
  if (oomKilled) return 'killed by its cgroup memory limit (OOM)';
  if (stoppedByUs) return 'stopped';
  if (signal !== null) return `killed by ${signal}`;
  if (code === null) return 'exited (code unknown)';
  return `exited with code ${code}`;
}
