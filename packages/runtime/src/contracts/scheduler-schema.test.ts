import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { cpuSchema, memorySchema, workloadSpecSchema } from './scheduler-schema.js';
import type { WorkloadSpec } from './scheduler.js';

const base = { name: 'echo', command: ['httpd'], resources: { cpuMillis: '250m', memoryBytes: '64Mi', pids: 16 } };

/** Strips `readonly` everywhere, so the contract's readonly types compare with zod's output. */
type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

const pathsOf = (input: unknown) => workloadSpecSchema.safeParse(input).error?.issues.map((i) => i.path);

describe('workloadSpecSchema (scheduler contract)', () => {
  it('has exactly WorkloadSpec as its output, nested types included', () => {
    // Fails to compile (typecheck) when a field is added to, or changed in, either side alone.
    expectTypeOf<z.output<typeof workloadSpecSchema>>().toExtend<WorkloadSpec>();
    expectTypeOf<Writable<z.output<typeof workloadSpecSchema>>>().toEqualTypeOf<Writable<WorkloadSpec>>();
  });

  it('parses quantities with units and defaults a port protocol to tcp', () => {
    const parsed = workloadSpecSchema.parse({ ...base, ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 80, protocol: 'udp' }] });
    expect(parsed.resources).toEqual({ cpuMillis: 250, memoryBytes: 64 * 2 ** 20, pids: 16 });
    expect(parsed.ports).toEqual([
      { name: 'http', port: 80, protocol: 'tcp' },
      { name: 'dns', port: 80, protocol: 'udp' },
    ]);
  });

  it('accepts an empty toleration key only with Exists (every taint), as the contract describes it', () => {
    expect(workloadSpecSchema.parse({ ...base, tolerations: [{ key: '', operator: 'Exists' }] }).tolerations).toEqual([{ key: '', operator: 'Exists' }]);
    expect(pathsOf({ ...base, tolerations: [{ key: '', operator: 'Equal', value: 'x' }] })).toEqual([['tolerations', 0, 'key']]);
    // Equal is the default operator
    expect(pathsOf({ ...base, tolerations: [{ key: '' }] })).toEqual([['tolerations', 0, 'key']]);
  });

  it.each([
    ['an unknown field', { replicas: 3 }, []],
    ['a name that is not a DNS label', { name: 'Bad_Name' }, ['name']],
    ['In without values', { affinity: { required: [[{ key: 'zone', operator: 'In' }]] } }, ['affinity', 'required', 0, 0, 'values']],
    ['Lt with two values', { affinity: { required: [[{ key: 'cores', operator: 'Lt', values: ['1', '2'] }]] } }, ['affinity', 'required', 0, 0, 'values']],
    ['a weight above 100', { affinity: { preferred: [{ weight: 101, match: [{ key: 'zone', operator: 'Exists' }] }] } }, ['affinity', 'preferred', 0, 'weight']],
    ['a maxSkew of 0', { topologySpread: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }, ['topologySpread', 0, 'maxSkew']],
    ['a lower-case capability', { capabilities: ['cap_chown'] }, ['capabilities', 0]],
    ['a network mode the contract does not have', { network: 'bridge' }, ['network']],
    ['an http check path without /', { healthCheck: { kind: 'http', port: 80, path: 'health' } }, ['healthCheck', 'path']],
    ['a port listed twice for one protocol', { ports: [{ name: 'a', port: 53, protocol: 'udp' }, { name: 'b', port: 53, protocol: 'udp' }] }, ['ports', 1, 'port']],
    ['a fraction of a millicore', { resources: { ...base.resources, cpuMillis: '0.5m' } }, ['resources', 'cpuMillis']],
    ['0 pids', { resources: { ...base.resources, pids: 0 } }, ['resources', 'pids']],
  ])('refuses %s, with the path', (_what, fields, path) => {
    expect(pathsOf({ ...base, ...fields })).toEqual([path]);
  });

  it('reads cpu and memory the way quotas and capacities write them (0 allowed)', () => {
    expect(['2', '1.5', '500m', 0, 750].map((v) => cpuSchema.parse(v))).toEqual([2000, 1500, 500, 0, 750]);
    expect(['1Gi', '512M', '1.5Ki', 0].map((v) => memorySchema.parse(v))).toEqual([2 ** 30, 512e6, 1536, 0]);
    expect(cpuSchema.safeParse('lots').error?.issues[0]?.message).toBe(`'lots' is not a CPU amount; write millicores (500) or "500m" or "2" (cores)`);
    expect(memorySchema.safeParse('64MB').error?.issues[0]?.message).toBe(`'64MB' is not a memory amount; write bytes or e.g. "256Mi", "1Gi", "512M"`);
  });
});
