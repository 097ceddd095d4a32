import { z } from 'zod';

const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label: lower-case letters, digits and -, at most 63' });
const labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/, { message: 'must be a label key such as zone or hypermesh.io/role' });
const labelMap = z.record(labelKey, z.string().max(253));

const MEMORY = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const MEMORY_SCALE: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
const CPU = /^(\d+(?:\.\d+)?)(m)?$/;

/** Memory as bytes or with a unit (`64Mi`, `1Gi`, `500M`); parsed to bytes. */
export const memorySchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = MEMORY.exec(value.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not an amount of memory; write bytes or e.g. 64Mi, 1Gi, 500M` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * MEMORY_SCALE[m[2] ?? '']!);
});

/** CPU as millicores or as cores (`"0.5"`, `"250m"`); parsed to millicores. */
export const cpuSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = CPU.exec(value.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not an amount of cpu; write millicores as a number or e.g. "250m", "1.5"` });
    return z.NEVER;
  }
  return m[2] === 'm' ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000);
});

/** Resource quantities; every field required (a workload must say what it needs). */
export const resourcesSchema = z.strictObject({
  cpuMillis: cpuSchema,
  memoryBytes: memorySchema,
  pids: z.number().int().min(1),
});

const requirementSchema = z
  .strictObject({
    key: labelKey,
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
    values: z.array(z.string()).optional(),
  })
  .superRefine((r, ctx) => {
    const n = r.values?.length ?? 0;
    if ((r.operator === 'In' || r.operator === 'NotIn') && n === 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${r.operator} needs values` });
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && n > 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${r.operator} takes no values` });
    if ((r.operator === 'Gt' || r.operator === 'Lt') && (n !== 1 || !/^-?\d+$/.test(r.values![0]!))) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${r.operator} needs exactly one integer value` });
    }
  });

const healthTiming = {
  intervalMs: z.number().int().min(100).optional(),
  timeoutMs: z.number().int().min(10).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  initialDelayMs: z.number().int().min(0).optional(),
};
const port = z.number().int().min(1).max(65_535);

/**
 * The workload spec as the scheduler accepts it (`WorkloadSpec` of the runtime contract), strict:
 * unknown keys are errors. Memory and cpu may be written with units (`64Mi`, `"250m"`).
 */
export const workloadSpecSchema = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  command: z.array(z.string().max(4096)).min(1, { message: 'must name a program' }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' }), z.string()).optional(),
  rootfs: z.string().min(1).optional(),
  ports: z
    .array(z.strictObject({ name: dnsLabel, port, protocol: z.enum(['tcp', 'udp']) }))
    .optional()
    .superRefine((ports, ctx) => {
      const seen = new Set<string>();
      ports?.forEach((p, i) => {
        const key = `${p.port}/${p.protocol}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `port ${key} is listed twice` });
        seen.add(key);
      });
    }),
  resources: resourcesSchema,
  labels: labelMap.optional(),
  nodeSelector: labelMap.optional(),
  affinity: z
    .strictObject({
      required: z.array(z.array(requirementSchema).min(1)).optional(),
      preferred: z.array(z.strictObject({ weight: z.number().int().min(1).max(100), match: z.array(requirementSchema).min(1) })).optional(),
    })
    .optional(),
  tolerations: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['Equal', 'Exists']).optional(),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
      }),
    )
    .optional(),
  topologySpread: z
    .array(
      z.strictObject({
        maxSkew: z.number().int().min(1),
        topologyKey: labelKey,
        whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
        labelSelector: labelMap.optional(),
      }),
    )
    .optional(),
  runtime: z.enum(['runc', 'process', 'auto']).optional(),
  capabilities: z.array(z.string().regex(/^CAP_[A-Z_]+$/, { message: 'must be a capability name such as CAP_NET_BIND_SERVICE' })).optional(),
  network: z.enum(['host', 'none']).optional(),
  healthCheck: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('exec'), command: z.array(z.string()).min(1), ...healthTiming }),
      z.strictObject({ kind: z.literal('tcp'), port, ...healthTiming }),
      z.strictObject({ kind: z.literal('http'), port, path: z.string().startsWith('/'), ...healthTiming }),
    ])
    .optional(),
  restartPolicy: z.enum(['always', 'on-failure', 'never']).optional(),
});

/** A parsed workload spec (quantities as numbers). */
export type ParsedWorkloadSpec = z.output<typeof workloadSpecSchema>;
