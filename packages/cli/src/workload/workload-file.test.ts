import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../errors.js';
import { readWorkloadFile } from './workload-file.js';

// The file reader validates with the gateway's own schema, so a file accepts exactly what
// POST /v1/workloads accepts: here the placement and isolation fields of the contract.

describe('readWorkloadFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-workload-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string) {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('reads affinity, topology spread, capabilities and network from YAML', async () => {
    const path = await file(
      'web.yaml',
      `name: web
command: [/bin/httpd, -f, -p, "80"]
resources: { cpuMillis: 250m, memoryBytes: 64Mi, pids: 64 }
labels: { app: web }
affinity:
  required:
    - [{ key: zone, operator: In, values: [a, b] }]
  preferred:
    - { weight: 50, match: [{ key: disk, operator: Exists }] }
topologySpread:
  - { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule }
capabilities: [CAP_NET_BIND_SERVICE]
network: none
`,
    );
    expect(await readWorkloadFile(path)).toEqual([
      {
        name: 'web',
        command: ['/bin/httpd', '-f', '-p', '80'],
        resources: { cpuMillis: 250, memoryBytes: 64 * 2 ** 20, pids: 64 },
        labels: { app: 'web' },
        affinity: { required: [[{ key: 'zone', operator: 'In', values: ['a', 'b'] }]], preferred: [{ weight: 50, match: [{ key: 'disk', operator: 'Exists' }] }] },
        topologySpread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
        capabilities: ['CAP_NET_BIND_SERVICE'],
        network: 'none',
      },
    ]);
  });

  it('lists every bad value of those fields with its path', async () => {
    const path = await file(
      'bad.yaml',
      `name: web
command: [/bin/httpd]
resources: { cpuMillis: 250m, memoryBytes: 64Mi, pids: 64 }
affinity: { preferred: [{ weight: 0, match: [{ key: zone, operator: Like }] }] }
capabilities: [net_bind_service]
network: bridge
`,
    );
    const error = await readWorkloadFile(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    const { problems } = (error as CliError).details as { problems: string[] };
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'affinity.preferred[0].match[0].operator',
      'affinity.preferred[0].weight',
      'capabilities[0]',
      'network',
    ]);
    expect((error as CliError).message).toContain('capabilities[0]: must be a Linux capability name such as CAP_NET_BIND_SERVICE');
  });
});
