import { workloadSpecSchema as contractSchema } from '@hypermesh/runtime';
import { z } from 'zod';

const { command, ports, resources } = contractSchema.shape;

/**
 * A workload spec as the API (and `hypermesh deploy FILE`) accepts it: the scheduler contract's
 * `workloadSpecSchema` (every `WorkloadSpec` field and its value rules, quantities such as
 * `"250m"` and `"64Mi"`, `protocol` defaulting to `tcp`, unknown fields refused), with the limits
 * the gateway adds for outside input: no empty command argument, at most 64 ports, cpu and memory
 * above 0, at most 1,000,000 pids.
 */
export const workloadSpecSchema = contractSchema.extend({
  command: command.superRefine((args, ctx) => {
    args.forEach((arg, i) => {
      if (arg === '') ctx.addIssue({ code: 'too_small', origin: 'string', minimum: 1, inclusive: true, input: arg, path: [i] });
    });
  }),
  ports: ports.unwrap().max(64).optional(),
  resources: resources.extend({
    cpuMillis: resources.shape.cpuMillis.pipe(z.number().positive()),
    memoryBytes: resources.shape.memoryBytes.pipe(z.number().positive()),
    pids: resources.shape.pids.max(1_000_000),
  }),
});
