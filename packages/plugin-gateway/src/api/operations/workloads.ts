import { schedulerRef, type SchedulerService } from '@hypermesh/runtime';
import { z } from 'zod';
import { GatewayError, GatewayErrorCode } from '../../errors.js';
import { defineOperation, requestSchema } from '../operation.js';
import { dnsLabel } from '../schemas/names.js';
import { workloadSpecSchema } from '../schemas/workload.js';

const byName = requestSchema({ params: { name: dnsLabel }, query: { namespace: dnsLabel.default('default') } });
const qualified = (input: { params: { name: string }; query: { namespace: string } }) => `${input.query.namespace}/${input.params.name}`;

function existing(scheduler: SchedulerService, name: string, namespace: string) {
  const workload = scheduler.get(name, namespace);
  if (workload === undefined) {
    throw new GatewayError(GatewayErrorCode.ResourceNotFound, `no workload '${name}' in namespace '${namespace}'; list them with GET /v1/workloads (hypermesh ps)`);
  }
  return workload;
}

/**
 * Workload logs are not part of the scheduler contract 1.0 (`SchedulerService` has no `logs`);
 * a provider that offers `logs(name, namespace, { tail })` is used, others answer 501.
 */
type SchedulerWithLogs = SchedulerService & {
  logs?: (name: string, namespace?: string, options?: { tail?: number }) => unknown;
};

/** `GET /v1/nodes`. */
export const listNodes = defineOperation({
  id: 'nodes.list',
  method: 'GET',
  path: '/v1/nodes',
  grpcMethod: 'ListNodes',
  role: 'viewer',
  mutating: false,
  summary: 'The nodes as the scheduler sees them: labels, capacity, allocation, taints, readiness',
  input: requestSchema({}),
  run: (_input, ctx) => ({ nodes: ctx.service(schedulerRef).nodes() }),
});

/** `GET /v1/workloads`. */
export const listWorkloads = defineOperation({
  id: 'workloads.list',
  method: 'GET',
  path: '/v1/workloads',
  grpcMethod: 'ListWorkloads',
  role: 'viewer',
  mutating: false,
  summary: 'Every workload with its phase, node, restarts and address',
  input: requestSchema({ query: { namespace: dnsLabel.optional() } }),
  run: ({ query }, ctx) => ({
    workloads: ctx.service(schedulerRef).list().filter((w) => query.namespace === undefined || w.namespace === query.namespace),
  }),
});

/** `GET /v1/workloads/:name`. */
export const getWorkload = defineOperation({
  id: 'workloads.get',
  method: 'GET',
  path: '/v1/workloads/:name',
  grpcMethod: 'GetWorkload',
  role: 'viewer',
  mutating: false,
  summary: "One workload's state",
  input: byName,
  run: ({ params, query }, ctx) => existing(ctx.service(schedulerRef), params.name, query.namespace),
});

/** `POST /v1/workloads`. */
export const deployWorkload = defineOperation({
  id: 'workloads.deploy',
  method: 'POST',
  path: '/v1/workloads',
  grpcMethod: 'DeployWorkload',
  role: 'operator',
  mutating: true,
  successStatus: 201,
  summary: 'Deploys a workload spec; answers with its placement once consensus agreed on it',
  input: requestSchema({ body: workloadSpecSchema }),
  target: ({ body }) => `${body.namespace ?? 'default'}/${body.name}`,
  run: async ({ body }, ctx) => ({ placement: await ctx.service(schedulerRef).deploy(body) }),
});

/** `DELETE /v1/workloads/:name`. */
export const removeWorkload = defineOperation({
  id: 'workloads.remove',
  method: 'DELETE',
  path: '/v1/workloads/:name',
  grpcMethod: 'RemoveWorkload',
  role: 'operator',
  mutating: true,
  summary: 'Stops and removes a workload',
  input: byName,
  target: qualified,
  run: async ({ params, query }, ctx) => {
    const scheduler = ctx.service(schedulerRef);
    existing(scheduler, params.name, query.namespace);
    await scheduler.remove(params.name, query.namespace);
    return { removed: { name: params.name, namespace: query.namespace } };
  },
});

/** `GET /v1/workloads/:name/logs`. */
export const workloadLogs = defineOperation({
  id: 'workloads.logs',
  method: 'GET',
  path: '/v1/workloads/:name/logs',
  grpcMethod: 'GetWorkloadLogs',
  role: 'viewer',
  mutating: false,
  summary: "A workload's captured output (the last `tail` lines)",
  input: requestSchema({
    params: { name: dnsLabel },
    query: { namespace: dnsLabel.default('default'), tail: z.coerce.number().int().min(1).max(100_000).default(200) },
  }),
  run: async ({ params, query }, ctx) => {
    const scheduler = ctx.service(schedulerRef) as SchedulerWithLogs;
    existing(scheduler, params.name, query.namespace);
    if (typeof scheduler.logs !== 'function') {
      throw new GatewayError(
        GatewayErrorCode.NotSupported,
        "the scheduler on this node does not offer workload logs (the 'scheduler' contract 1.0 has no logs method)",
      );
    }
    return { name: params.name, namespace: query.namespace, lines: await scheduler.logs(params.name, query.namespace, { tail: query.tail }) };
  },
});
