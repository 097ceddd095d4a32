import { z } from 'zod';

// The value rules of the scheduler contract's `WorkloadSpec` (scheduler.ts), as one zod schema:
// the scheduler validates deploy operations with it, the gateway and the CLI validate outside
// input with it (adding their own stricter limits on top). scheduler-schema.test.ts checks that
// its output type is exactly `WorkloadSpec`, so the two cannot drift apart.

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_SCALE: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/**
 * CPU as millicores (`500`) or Kubernetes-style (`"500m"`, `"2"` cores); parsed to whole
 * millicores (a fraction of a millicore is refused). 0 is allowed here (quotas, capacities).
 * @since 1.2.0
 */
export const cpuSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = CPU.exec(value.trim());
  const millis = m === null ? NaN : m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  if (!Number.isSafeInteger(millis)) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a CPU amount; write millicores (500) or "500m" or "2" (cores)` });
    return z.NEVER;
  }
  return millis;
});

/**
 * Memory as bytes (`268435456`) or with a suffix (`"256Mi"`, `"1G"`); parsed to bytes (rounded).
 * 0 is allowed here (quotas, capacities).
 * @since 1.2.0
 */
export const memorySchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = MEMORY.exec(value.trim());
  const bytes = m === null ? NaN : Math.round(Number(m[1]) * MEMORY_SCALE[m[2] ?? '']!);
  if (!Number.isSafeInteger(bytes)) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a memory amount; write bytes or e.g. "256Mi", "1Gi", "512M"` });
    return z.NEVER;
  }
  return bytes;
});

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label: 1-63 lower-case letters, digits and -, not starting or ending with -' });
const port = z.number().int().min(1).max(65535);
const effect = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** A label key (`zone`, `hypermesh.io/role`), as the scheduler matches node and workload labels. */
const labelKey = z
  .string()
  .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/, { message: 'must be a label key such as zone or hypermesh.io/role' });
const labelMap = z.record(labelKey, z.string().max(253));

/** `NodeSelectorRequirement`: values for `In`/`NotIn`, none for `Exists`/`DoesNotExist`, one integer for `Gt`/`Lt`. */
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

/** `NodeAffinity`: required terms (any one matches) and preferences weighted 1–100. */
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

/** `Toleration`: an empty key (every taint) only with `Exists`, as the contract describes it. */
const toleration = z
  .strictObject({
    key: z.string(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: z.string().optional(),
    effect: effect.optional(),
  })
  .refine((t) => t.key !== '' || t.operator === 'Exists', { path: ['key'], message: 'an empty key (every taint) needs operator Exists' });

/** `TopologySpreadConstraint`. */
const topologySpread = z.strictObject({
  maxSkew: z.number().int().min(1),
  topologyKey: labelKey,
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: labelMap.optional(),
});

/** `WorkloadPort`s; `protocol` defaults to `tcp`, and a port/protocol pair may be listed once. */
const ports = z.array(z.strictObject({ name: dnsLabel, port, protocol: z.enum(['tcp', 'udp']).default('tcp') })).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `port ${key} is listed twice` });
    seen.add(key);
  });
});

/** The timing fields every kind of health check shares. */
const checkTiming = {
  intervalMs: z.number().int().min(100).optional(),
  timeoutMs: z.number().int().min(10).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  initialDelayMs: z.number().int().min(0).optional(),
};

/**
 * The scheduler contract's `WorkloadSpec` with its value rules, strict (unknown fields are
 * errors): DNS-label names, label keys, affinity operators and their values, weights 1–100,
 * topology spread, `CAP_[A-Z_]+` capabilities, `host`/`none` networking, health checks, ports
 * unique per protocol, resources. Quantities may be written with units (`"250m"`, `"64Mi"`) and a
 * port's `protocol` defaults to `tcp`; the output is exactly a `WorkloadSpec`.
 *
 * The scheduler validates deploy operations with it; an API that takes workloads from outside
 * adds its own limits on top (`.extend`, `.superRefine`) rather than a copy.
 *
 * ```ts
 * import { workloadSpecSchema, type WorkloadSpec } from '@hypermesh/runtime';
 *
 * const spec: WorkloadSpec = workloadSpecSchema.parse({ name: 'echo', command: ['httpd'], resources: { cpuMillis: '250m', memoryBytes: '64Mi', pids: 16 } });
 * ```
 * @since 1.2.0
 */
export const workloadSpecSchema = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  command: z.array(z.string().max(4096)).min(1, { message: 'must name the program to run' }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' }), z.string()).optional(),
  rootfs: z.string().min(1).optional(),
  ports: ports.optional(),
  resources: z.strictObject({ cpuMillis: cpuSchema, memoryBytes: memorySchema, pids: z.number().int().min(1) }),
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
