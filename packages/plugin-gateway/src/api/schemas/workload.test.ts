import { schedulerRef, workloadSpecSchema as contractSchema, type WorkloadSpec } from '@hypermesh/runtime';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { testDoubleScheduler } from '../../testing/contract-doubles.js';
import { startTestGateway, TEST_KEYS } from '../../testing/gateway-node.js';
import { workloadSpecSchema } from './workload.js';

const base = { name: 'echo', command: ['httpd'], resources: { cpuMillis: '250m', memoryBytes: '64Mi', pids: 16 } };

/** The fields the schema gained to match the contract, each with a value the contract allows. */
const newFields = {
  affinity: {
    required: [[{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }], [{ key: 'hypermesh.io/tier', operator: 'Gt', values: ['2'] }]],
    preferred: [{ weight: 100, match: [{ key: 'disk', operator: 'Exists' }] }, { weight: 1, match: [{ key: 'zone', operator: 'NotIn', values: ['c'] }] }],
  },
  topologySpread: [
    { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { app: 'echo' } },
    { maxSkew: 2, topologyKey: 'hypermesh.io/rack', whenUnsatisfiable: 'ScheduleAnyway' },
  ],
  capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
  network: 'none',
} as const;

/** Strips `readonly` everywhere, so the contract's readonly types compare with zod's output. */
type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

describe('workloadSpecSchema', () => {
  it("has exactly the contract's WorkloadSpec as its output, nested types included", () => {
    // Fails to compile (typecheck) when a field is added to, or changed in, either side alone.
    expectTypeOf<z.output<typeof workloadSpecSchema>>().toExtend<WorkloadSpec>();
    expectTypeOf<Writable<z.output<typeof workloadSpecSchema>>>().toEqualTypeOf<Writable<WorkloadSpec>>();
  });

  it("accepts every timing field of the contract's health check", () => {
    const healthCheck = { kind: 'http', port: 8080, path: '/', intervalMs: 2000, timeoutMs: 500, failureThreshold: 3, initialDelayMs: 1000 } as const;
    const parsed = workloadSpecSchema.parse({ ...base, healthCheck });
    expect(parsed.healthCheck).toEqual(healthCheck);
    expect(parsed.resources).toEqual({ cpuMillis: 250, memoryBytes: 64 * 2 ** 20, pids: 16 });
  });

  it('refuses a health check field it does not know, with the path', () => {
    const result = workloadSpecSchema.safeParse({ ...base, healthCheck: { kind: 'tcp', port: 80, retries: 3 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['healthCheck']);
  });

  it('accepts affinity, topology spread, capabilities and network unchanged', () => {
    expect(workloadSpecSchema.parse({ ...base, ...newFields })).toMatchObject(newFields);
  });

  it('accepts an empty-key Exists toleration (every taint) and refuses an empty key with Equal', () => {
    expect(workloadSpecSchema.parse({ ...base, tolerations: [{ key: '', operator: 'Exists' }] }).tolerations).toEqual([{ key: '', operator: 'Exists' }]);
    const result = workloadSpecSchema.safeParse({ ...base, tolerations: [{ key: '', operator: 'Equal', value: 'x' }] });
    expect(result.error?.issues.map((i) => i.path)).toEqual([['tolerations', 0, 'key']]);
  });

  it.each([
    ['an empty command argument', { command: ['sh', ''] }, ['command', 1]],
    ['more than 64 ports', { ports: Array.from({ length: 65 }, (_, i) => ({ name: `p${i}`, port: 1000 + i })) }, ['ports']],
    ['a cpu of 0', { resources: { ...base.resources, cpuMillis: '0m' } }, ['resources', 'cpuMillis']],
    ['a memory of 0', { resources: { ...base.resources, memoryBytes: 0 } }, ['resources', 'memoryBytes']],
    ['more than 1,000,000 pids', { resources: { ...base.resources, pids: 1_000_001 } }, ['resources', 'pids']],
  ])("refuses %s (the gateway's limit on top of the contract's schema, which accepts it)", (_what, fields, path) => {
    expect(contractSchema.safeParse({ ...base, ...fields }).success).toBe(true);
    expect(workloadSpecSchema.safeParse({ ...base, ...fields }).error?.issues.map((i) => i.path)).toEqual([path]);
  });

  it.each([
    ['a capability name not like CAP_[A-Z_]+', { capabilities: ['CAP_NET_ADMIN', 'net_admin'] }, ['capabilities', 1]],
    ['a network mode the contract does not have', { network: 'bridge' }, ['network']],
    ['an affinity operator outside the enum', { affinity: { required: [[{ key: 'zone', operator: 'Equals', values: ['a'] }]] } }, ['affinity', 'required', 0, 0, 'operator']],
    ['In without values', { affinity: { required: [[{ key: 'zone', operator: 'In' }]] } }, ['affinity', 'required', 0, 0, 'values']],
    ['Exists with values', { affinity: { preferred: [{ weight: 5, match: [{ key: 'zone', operator: 'Exists', values: ['a'] }] }] } }, ['affinity', 'preferred', 0, 'match', 0, 'values']],
    ['Gt with a non-integer', { affinity: { required: [[{ key: 'cores', operator: 'Gt', values: ['many'] }]] } }, ['affinity', 'required', 0, 0, 'values']],
    ['a weight above 100', { affinity: { preferred: [{ weight: 101, match: [{ key: 'zone', operator: 'Exists' }] }] } }, ['affinity', 'preferred', 0, 'weight']],
    ['a weight of 0', { affinity: { preferred: [{ weight: 0, match: [{ key: 'zone', operator: 'Exists' }] }] } }, ['affinity', 'preferred', 0, 'weight']],
    ['an empty required term', { affinity: { required: [[]] } }, ['affinity', 'required', 0]],
    ['an unknown affinity field', { affinity: { requiredDuringScheduling: [] } }, ['affinity']],
    ['a maxSkew of 0', { topologySpread: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }, ['topologySpread', 0, 'maxSkew']],
    ['a whenUnsatisfiable outside the enum', { topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Never' }] }, ['topologySpread', 0, 'whenUnsatisfiable']],
    ['a bad topology key', { topologySpread: [{ maxSkew: 1, topologyKey: 'has space', whenUnsatisfiable: 'DoNotSchedule' }] }, ['topologySpread', 0, 'topologyKey']],
    ['a port listed twice', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80, protocol: 'tcp' }] }, ['ports', 1, 'port']],
    ['a label key that is not one', { labels: { 'bad key': 'x' } }, ['labels', 'bad key']],
  ])('refuses %s, with the path', (_what, fields, path) => {
    const result = workloadSpecSchema.safeParse({ ...base, ...fields });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([path]);
  });
});

describe('POST /v1/workloads with the contract fields', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function gatewayRecordingDeploys() {
    const scheduler = testDoubleScheduler();
    const deployed: WorkloadSpec[] = [];
    const deploy = scheduler.deploy.bind(scheduler);
    const recording = { ...scheduler, deploy: (spec: WorkloadSpec) => (deployed.push(spec), deploy(spec)) };
    const gateway = await startTestGateway({ services: { scheduler: false }, overrides: [[schedulerRef, recording]] });
    cleanups.push(gateway.stop);
    const post = (body: unknown) =>
      fetch(`${gateway.url}/v1/workloads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEYS.operator}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { deployed, post };
  }

  it('forwards affinity, topology spread, capabilities and network to the scheduler unchanged', async () => {
    const { deployed, post } = await gatewayRecordingDeploys();
    const response = await post({ ...base, ...newFields });
    expect(response.status).toBe(201);
    expect(deployed).toHaveLength(1);
    expect(deployed[0]).toEqual({ ...base, ...newFields, resources: { cpuMillis: 250, memoryBytes: 64 * 2 ** 20, pids: 16 } });
  });

  it('answers a bad value of each new field with 400 and its path, and deploys nothing', async () => {
    const { deployed, post } = await gatewayRecordingDeploys();
    const response = await post({
      ...base,
      capabilities: ['NET_ADMIN'],
      network: 'bridge',
      affinity: { preferred: [{ weight: 500, match: [{ key: 'zone', operator: 'Near' }] }] },
      topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }],
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string; details: { issues: { path: string; message: string }[] } } };
    expect(error.code).toBe('E_GATEWAY_INVALID_REQUEST');
    expect(error.details.issues.map((i) => i.path).sort()).toEqual([
      'body.affinity.preferred[0].match[0].operator',
      'body.affinity.preferred[0].weight',
      'body.capabilities[0]',
      'body.network',
      'body.topologySpread[0].whenUnsatisfiable',
    ]);
    expect(error.details.issues.find((i) => i.path === 'body.capabilities[0]')?.message).toContain('CAP_NET_BIND_SERVICE');
    expect(error.details.issues.find((i) => i.path === 'body.affinity.preferred[0].weight')?.message).toContain('1 to 100');
    expect(deployed).toEqual([]);
  });
});
