import type { JsonValue } from '@hypermesh/runtime';
import { z } from 'zod';
import { cpuSchema, memorySchema, workloadSpecSchema } from './workload-schema.js';

const name = z.string().min(1).max(253);
const nonNegative = z.number().int().nonnegative();

/** What a node's agent registers: its labels, taints, capacity, runtimes and address. */
export const nodeRegistrationSchema = z.strictObject({
  id: name,
  labels: z.record(z.string(), z.string()),
  taints: z.array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) })),
  capacity: z.strictObject({ cpuMillis: nonNegative, memoryBytes: nonNegative, pids: nonNegative }),
  runtimes: z.array(z.enum(['runc', 'process'])),
  address: z.string().min(1),
});

/** A namespace quota's limits (an omitted resource is unlimited). */
export const quotaLimitsSchema = z.strictObject({
  cpuMillis: cpuSchema.optional(),
  memoryBytes: memorySchema.optional(),
  pids: nonNegative.optional(),
  workloads: nonNegative.optional(),
});

/**
 * The operations of the `sched` state machine. Each is applied by every replica in the agreed
 * order; `type` names it the way the architecture does (`sched.place`, …).
 */
export const operationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('sched.place'), spec: workloadSpecSchema }),
  z.strictObject({ type: z.literal('sched.remove'), name, namespace: name }),
  z.strictObject({ type: z.literal('sched.reschedule'), name, namespace: name }),
  z.strictObject({ type: z.literal('sched.node.register'), node: nodeRegistrationSchema }),
  z.strictObject({ type: z.literal('sched.node.heartbeat'), node: name }),
  z.strictObject({
    type: z.literal('sched.node.report'),
    node: name,
    reputation: z.number().min(0).max(1),
    trust: z.enum(['active', 'suspected', 'isolated']),
  }),
  z.strictObject({
    type: z.literal('sched.status'),
    key: name,
    node: name,
    generation: nonNegative,
    phase: z.enum(['scheduled', 'running', 'failed', 'stopped']),
    restarts: nonNegative,
    address: z.string().optional(),
    health: z.enum(['unknown', 'healthy', 'unhealthy']).optional(),
    runtime: z.string().optional(),
    reason: z.string().max(1024).optional(),
  }),
  z.strictObject({ type: z.literal('sched.quota.set'), namespace: name, limits: quotaLimitsSchema }),
]);

/** A parsed operation of the `sched` state machine. */
export type SchedOperation = z.output<typeof operationSchema>;

/** The consensus namespace the scheduler's state machine is registered under. */
export const SCHED_NAMESPACE = 'sched';

/** What `apply` returns (sent back to the submitting client). */
export type SchedResult =
  | { readonly ok: true; readonly outcome: 'bound'; readonly node: string; readonly sequence: number }
  | { readonly ok: true; readonly outcome: 'waiting'; readonly node: string; readonly plugin: string; readonly reason: string }
  | { readonly ok: true; readonly outcome: 'done' }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly plugin?: string };

/** Turns an operation into JSON for `consensus.submit` (drops `undefined` fields). */
export const toJson = (op: SchedOperation): JsonValue => JSON.parse(JSON.stringify(op)) as JsonValue;

/** Parses an operation from outside (a submitted op, a committed batch). */
export function parseOperation(raw: unknown): { ok: true; op: SchedOperation } | { ok: false; reason: string } {
  const parsed = operationSchema.safeParse(raw);
  if (parsed.success) return { ok: true, op: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length === 0 ? '(operation)' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return { ok: false, reason: `${path}: ${issue.message}` };
}
