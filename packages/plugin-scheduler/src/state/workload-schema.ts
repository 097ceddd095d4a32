import type { workloadSpecSchema } from '@hypermesh/runtime';
import type { z } from 'zod';

// The workload spec's schema is the scheduler contract's own (`@hypermesh/runtime`), so the
// scheduler and every API that takes workloads (the gateway, the CLI) apply the same value rules.
// Re-exported here under the names this package has always exported.
export { cpuSchema, memorySchema, workloadSpecSchema } from '@hypermesh/runtime';

/** A parsed workload spec (quantities as numbers): the contract's `WorkloadSpec`. */
export type ParsedWorkloadSpec = z.output<typeof workloadSpecSchema>;
