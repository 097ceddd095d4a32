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
const interval = z.number().int().min(100).optional();
/** The timing fields every kind of health check shares (the contract's `HealthCheck`). */
const checkTiming = {
  intervalMs: interval,
  timeoutMs: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  initialDelayMs: z.number().int().min(0).optional(),
};

/** A workload spec as the API accepts it (the runtime's `WorkloadSpec`, with friendlier quantities). */
export const workloadSpecSchema = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  command: z.array(z.string().min(1)).min(1, { message: 'must name the program to run' }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' }), z.string()).optional(),
  rootfs: z.string().min(1).optional(),
  ports: z
    .array(z.strictObject({ name: dnsLabel, port, protocol: z.enum(['tcp', 'udp']).default('tcp') }))
    .max(64)
    .optional(),
  resources: z.strictObject({ cpuMillis, memoryBytes, pids: z.number().int().min(1).max(1_000_000) }),
  labels: z.record(z.string(), z.string()).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['Equal', 'Exists']).optional(),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
      }),
    )
    .optional(),
  runtime: z.enum(['runc', 'process', 'auto']).optional(),
  healthCheck: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('exec'), command: z.array(z.string()).min(1), ...checkTiming }),
      z.strictObject({ kind: z.literal('tcp'), port, ...checkTiming }),
      z.strictObject({ kind: z.literal('http'), port, path: z.string().startsWith('/'), ...checkTiming }),
    ])
    .optional(),
  restartPolicy: z.enum(['always', 'on-failure', 'never']).optional(),
});

// The parsed spec is exactly what the scheduler contract takes.
const _conforms = (spec: z.output<typeof workloadSpecSchema>): WorkloadSpec => spec;
void _conforms;
