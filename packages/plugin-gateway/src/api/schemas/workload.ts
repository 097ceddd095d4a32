import type { WorkloadSpec } from '@hypermesh/runtime';
import { z } from 'zod';
import { dnsLabel } from './names.js';

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_SCALE: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** CPU as millicores (`500`) or Kubernetes-style (`"500m"`, `"2"` cores). */
const cpuMillis = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = CPU.exec(value.trim());
  const millis = m === null ? NaN : m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  if (!Number.isInteger(millis) || millis <= 0) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a CPU amount; write millicores (500) or "500m" or "2" (cores)` });
    return z.NEVER;
  }
  return millis;
});

/** Memory as bytes (`268435456`) or with a suffix (`"256Mi"`, `"1G"`). */
const memoryBytes = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = MEMORY.exec(value.trim());
  const bytes = m === null ? NaN : Math.round(Number(m[1]) * MEMORY_SCALE[m[2] ?? '']!);
  if (!Number.isFinite(bytes) || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a memory amount; write bytes or e.g. "256Mi", "1Gi", "512M"` });
    return z.NEVER;
  }
  return bytes;
});

const port = z.number().int().min(1).max(65535);
/** The timing fields every kind of health check shares (the contract's `HealthCheck`). */
const checkTiming = {
  intervalMs: z.number().int().min(100).optional(),
  timeoutMs: z.number().int().min(10).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  initialDelayMs: z.number().int().min(0).optional(),
};

/** A label key (`zone`, `hypermesh.io/role`), as the scheduler matches node and workload labels. */
const labelKey = z
  .string()
  .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/, { message: 'must be a label key such as zone or hypermesh.io/role' });
const labelMap = z.record(labelKey, z.string().max(253));

/** One requirement on a node label (the contract's `NodeSelectorRequirement`). */
const requirement = z
  .strictObject({
    key: labelKey,
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
    values: z.array(z.string()).optional(),
  })
  .superRefine((r, ctx) => {
    const n = r.values?.length ?? 0;
    const problem =
      (r.operator === 'In' || r.operator === 'NotIn') && n === 0
        ? `operator ${r.operator} needs values`
        : (r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0
          ? `operator ${r.operator} takes no values`
          : (r.operator === 'Gt' || r.operator === 'Lt') && (n !== 1 || !/^-?\d+$/.test(r.values![0]!))
            ? `operator ${r.operator} needs exactly one integer value`
            : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['values'], message: problem });
  });

/** The contract's `NodeAffinity`: required terms (any one matches) and weighted preferences. */
const affinity = z.strictObject({
  required: z.array(z.array(requirement).min(1, { message: 'a required term needs at least one requirement' })).optional(),
  preferred: z
    .array(
      z.strictObject({
        weight: z.number().int().min(1, { message: 'must be a weight from 1 to 100' }).max(100, { message: 'must be a weight from 1 to 100' }),
        match: z.array(requirement).min(1, { message: 'a preference needs at least one requirement' }),
      }),
    )
    .optional(),
});

/** The contract's `TopologySpreadConstraint`. */
const topologySpread = z.strictObject({
  maxSkew: z.number().int().min(1),
  topologyKey: labelKey,
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: labelMap.optional(),
});

/** The contract's `Toleration`; an empty key (every taint) only with `Exists`. */
const toleration = z
  .strictObject({
    key: z.string(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  })
  .refine((t) => t.key !== '' || t.operator === 'Exists', { path: ['key'], message: 'an empty key (every taint) needs operator Exists' });

/** Ports; a port/protocol pair may be listed once. */
const ports = z
  .array(z.strictObject({ name: dnsLabel, port, protocol: z.enum(['tcp', 'udp']).default('tcp') }))
  .max(64)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((p, i) => {
      const key = `${p.port}/${p.protocol}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `port ${key} is listed twice` });
      seen.add(key);
    });
  });

/**
 * A workload spec as the API (and `hypermesh deploy FILE`) accepts it: every field of the
 * runtime's `WorkloadSpec`, with friendlier quantities (`"250m"`, `"64Mi"`) and `protocol`
 * defaulting to `tcp`. Unknown fields are refused.
 */
export const workloadSpecSchema = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  command: z.array(z.string().min(1).max(4096)).min(1, { message: 'must name the program to run' }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' }), z.string()).optional(),
  rootfs: z.string().min(1).optional(),
  ports: ports.optional(),
  resources: z.strictObject({ cpuMillis, memoryBytes, pids: z.number().int().min(1).max(1_000_000) }),
  labels: labelMap.optional(),
  nodeSelector: labelMap.optional(),
  affinity: affinity.optional(),
  tolerations: z.array(toleration).optional(),
  topologySpread: z.array(topologySpread).optional(),
  runtime: z.enum(['runc', 'process', 'auto']).optional(),
  capabilities: z
    .array(z.string().regex(/^CAP_[A-Z_]+$/, { message: 'must be a Linux capability name such as CAP_NET_BIND_SERVICE' }))
    .optional(),
  network: z.enum(['host', 'none']).optional(),
  healthCheck: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('exec'), command: z.array(z.string()).min(1), ...checkTiming }),
      z.strictObject({ kind: z.literal('tcp'), port, ...checkTiming }),
      z.strictObject({ kind: z.literal('http'), port, path: z.string().startsWith('/'), ...checkTiming }),
    ])
    .optional(),
  restartPolicy: z.enum(['always', 'on-failure', 'never']).optional(),
});

// The parsed spec is exactly what the scheduler contract takes (workload.test.ts also checks
// the reverse: every contract field is in the schema).
const _conforms = (spec: z.output<typeof workloadSpecSchema>): WorkloadSpec => spec;
void _conforms;
