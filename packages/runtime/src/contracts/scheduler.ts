import { createServiceRef } from '../services/service-ref.js';

/** Resources a workload asks for, or a node offers. */
export interface ResourceQuantities {
  /** CPU in millicores (1000 = one core). */
  readonly cpuMillis: number;
  /** Memory in bytes. */
  readonly memoryBytes: number;
  /** Maximum number of processes. */
  readonly pids: number;
}

/** A port a workload listens on; it becomes an SRV record. */
export interface WorkloadPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

/** A toleration of a node taint (Kubernetes semantics). */
export interface Toleration {
  readonly key: string;
  readonly operator?: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** What to run and what it needs. */
export interface WorkloadSpec {
  /** DNS-label name; the service record is `<name>.svc.<cluster domain>`. */
  readonly name: string;
  /** Namespace for quotas; default `default`. */
  readonly namespace?: string;
  /** The program and its arguments, run inside the rootfs (runc) or on the host (process). */
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Root filesystem directory for runc; default the busybox-static rootfs. */
  readonly rootfs?: string;
  readonly ports?: readonly WorkloadPort[];
  readonly resources: ResourceQuantities;
  readonly labels?: Readonly<Record<string, string>>;
  /** Node labels that must match. */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  /** Which container runtime to use; `auto` picks runc when it works here, else process. */
  readonly runtime?: 'runc' | 'process' | 'auto';
  readonly healthCheck?:
    | { readonly kind: 'exec'; readonly command: readonly string[]; readonly intervalMs?: number }
    | { readonly kind: 'tcp'; readonly port: number; readonly intervalMs?: number }
    | { readonly kind: 'http'; readonly port: number; readonly path: string; readonly intervalMs?: number };
  readonly restartPolicy?: 'always' | 'on-failure' | 'never';
}

/** Where a workload was placed. */
export interface Placement {
  readonly workload: string;
  readonly namespace: string;
  readonly node: string;
  /** The consensus sequence number of the placement. */
  readonly sequence: number;
}

/** A workload's current state. */
export interface WorkloadStatus {
  readonly name: string;
  readonly namespace: string;
  readonly node?: string;
  readonly phase: 'pending' | 'scheduled' | 'running' | 'failed' | 'stopped' | 'unschedulable';
  /** Why it is pending/unschedulable/failed; names the scheduling plugin that refused. */
  readonly reason?: string;
  readonly restarts: number;
  /** The address the workload is reachable at, once running. */
  readonly address?: string;
}

/** A node as the scheduler sees it. */
export interface SchedulableNode {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: ResourceQuantities;
  readonly allocated: ResourceQuantities;
  readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: Toleration['effect'] }[];
  readonly ready: boolean;
}

/**
 * Container scheduling: placements are decided deterministically and agreed through consensus,
 * then run by the chosen node's agent.
 *
 * Errors: `deploy` rejects with `E_SCHED_UNSCHEDULABLE` (the message names each plugin that
 * refused and why), `E_SCHED_INVALID` for a bad spec, `E_SCHED_QUOTA` when a namespace quota
 * would be exceeded.
 */
export interface SchedulerService {
  /** Places a workload (through consensus) and resolves with the placement. */
  deploy(spec: WorkloadSpec): Promise<Placement>;
  /** Stops and removes a workload. */
  remove(name: string, namespace?: string): Promise<void>;
  /** Every workload and its state. */
  list(): readonly WorkloadStatus[];
  /** One workload's state. */
  get(name: string, namespace?: string): WorkloadStatus | undefined;
  /** The nodes and their resources. */
  nodes(): readonly SchedulableNode[];
}

/** The `scheduler` service. */
export const schedulerRef = createServiceRef<SchedulerService>({
  id: 'scheduler',
  version: '1.0.0',
  description: 'Workload placement through consensus and node agents',
});
