import { describe, expect, it } from 'vitest';
import { workloadSpecSchema } from './workload.js';

const base = { name: 'echo', command: ['httpd'], resources: { cpuMillis: '250m', memoryBytes: '64Mi', pids: 16 } };

describe('workloadSpecSchema', () => {
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
});
