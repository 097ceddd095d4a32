import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { generateApiKey, hashApiKey } from '@hypermesh/plugin-gateway';
import { createClusterCa } from '@hypermesh/plugin-grpc/certs';
import { generateNodeKeys, parseClusterConfig } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { clusterFiles, CREDENTIAL_ROLES, serialiseNodeKeys } from '../cluster/cluster-files.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** What `init` writes the cluster.yaml from. */
export interface ClusterTemplate {
  readonly name: string;
  readonly nodes: readonly { readonly id: string; readonly address: string }[];
  readonly transport: 'memory' | 'grpc';
  readonly domain: string;
  readonly apiKeys: readonly { readonly id: string; readonly role: string; readonly sha256: string }[];
}

/** The cluster.yaml `init` writes: the seed's Cluster format, every section spelled out. */
export function renderClusterYaml(t: ClusterTemplate): string {
  const f = Math.floor((t.nodes.length - 1) / 3);
  return `# HyperMesh cluster "${t.name}", written by \`hypermesh init\`. Reference: docs/cluster.md, docs/cli.md.
# Start it with: hypermesh up --config <this file>   (add --processes for one process per node)
apiVersion: hypermesh.io/v1
kind: Cluster
metadata:
  name: ${t.name}
spec:
  nodes:
${t.nodes.map((n) => `    - id: ${n.id}\n      address: ${n.address}   # gRPC + mTLS between nodes (transport: grpc)`).join('\n')}
  consensus:
    algorithm: pbft
    nodes: ${t.nodes.length}   # tolerates f = ${f} Byzantine node${f === 1 ? '' : 's'}
    # A backup suspects the primary after a request waited this long. PBFT's own default (100ms)
    # suits dedicated machines; several node processes sharing a laptop's cores need more, or they
    # change view with no fault at all.
    timeout: 1s
  dns_ct:
    enabled: true
    domain: ${t.domain}
    listen: 127.0.0.1:5353
    ct_policy: report
  stoq:
    enabled: true
  networking:
    transport: ${t.transport}   # memory: every node in one process; grpc: gRPC + mutual TLS (pki/)
  security:
    certificate_validation: strict
    mTLS_required: true
    rbac_enabled: true
    audit_logging: true
  monitoring:
    metrics_collection: true
  plugins:
    "@hypermesh/plugin-pbft":
      view_change_timeout: 2s   # wait this long for a NEW-VIEW before moving on to the next view
    "@hypermesh/plugin-gateway":
      listen: 127.0.0.1:8080
      grpc:
        listen: 127.0.0.1:9090
      auth:
        # SHA-256 of the API keys in credentials/<role>.token
        apiKeys:
${t.apiKeys.map((k) => `          - { id: ${k.id}, role: ${k.role}, sha256: ${k.sha256} }`).join('\n')}
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function positiveInt(value: unknown, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

/** `hypermesh init [DIR]`. */
export const initCommand: Command = {
  name: 'init',
  usage: 'hypermesh init [DIR] [--name NAME] [--nodes N] [--transport memory|grpc] [--domain DOMAIN] [--base-port PORT] [--force]',
  summary: 'Write a cluster.yaml, node keys, a cluster CA with node certificates, and API keys',
  details: [
    'DIR defaults to the current directory. Writes DIR/cluster.yaml (the Cluster document), keys/ (Ed25519',
    'node keys for consensus), pki/ (the cluster CA and one mTLS certificate per node, made by',
    "@hypermesh/plugin-grpc's CA helper), credentials/ (admin, operator and viewer API keys; the",
    'cluster.yaml holds only their SHA-256). Node i gets the transport address 127.0.0.1:(base-port + i - 1).',
    'Refuses to overwrite an existing cluster.yaml unless --force.',
  ].join('\n'),
  options: {
    name: { type: 'string' },
    nodes: { type: 'string' },
    transport: { type: 'string' },
    domain: { type: 'string' },
    'base-port': { type: 'string' },
    force: { type: 'boolean' },
  },
  positionals: { min: 0, max: 1 },
  async run(ctx) {
    const dir = resolve(ctx.cwd, ctx.positionals[0] ?? '.');
    const files = clusterFiles(dir);
    const fallbackName = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'hypermesh';
    const name = (ctx.values.name as string | undefined) ?? fallbackName;
    const count = positiveInt(ctx.values.nodes, '--nodes', 1, 100, 4);
    const basePort = positiveInt(ctx.values['base-port'], '--base-port', 1, 65535 - count, 7401);
    const transport = (ctx.values.transport as string | undefined) ?? 'memory';
    if (transport !== 'memory' && transport !== 'grpc') throw usageError(`--transport must be memory or grpc, not ${JSON.stringify(transport)}`);
    const domain = (ctx.values.domain as string | undefined) ?? 'hypermesh.local';
    if ((await exists(files.config)) && ctx.values.force !== true) {
      throw new CliError(CliErrorCode.InitFailed, `${files.config} exists; pass --force to overwrite it (and its keys and credentials)`, ExitCode.Failed);
    }

    const nodes = Array.from({ length: count }, (_, i) => ({ id: `node-${i + 1}`, address: `127.0.0.1:${basePort + i}` }));
    const written: string[] = [];
    const write = async (path: string, content: string, secret = false) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { mode: secret ? 0o600 : 0o644 });
      if (secret) await chmod(path, 0o600); // an existing file keeps its mode on write
      written.push(path);
    };

    ctx.out.progress(`generating Ed25519 keys for ${count} node${count === 1 ? '' : 's'}`);
    const keys = serialiseNodeKeys(generateNodeKeys(nodes.map((n) => n.id)));
    const credentials = CREDENTIAL_ROLES.map((role) => ({ role, key: generateApiKey() }));
    const yaml = renderClusterYaml({
      name,
      nodes,
      transport,
      domain,
      apiKeys: credentials.map((c) => ({ id: c.role, role: c.role, sha256: hashApiKey(c.key) })),
    });
    try {
      parseClusterConfig(yaml, { env: {}, source: files.config });
    } catch (err) {
      // --name or --domain that the document cannot hold: say which, with the schema's words.
      throw new CliError(CliErrorCode.InvalidInput, (err as Error).message, ExitCode.InvalidInput, { cause: err });
    }

    ctx.out.progress(`creating the cluster CA and ${count} node certificate${count === 1 ? '' : 's'}`);
    const ca = createClusterCa({ name: `HyperMesh cluster ${name} CA` });
    await write(files.caCert, ca.caCertPem);
    await write(files.caKey, ca.caKeyPem, true);
    for (const n of nodes) {
      const cert = ca.issueNodeCertificate(n.id, { hosts: ['127.0.0.1', 'localhost'] });
      await write(files.nodeCert(n.id), cert.certPem);
      await write(files.nodeKey(n.id), cert.keyPem, true);
    }

    await write(files.publicKeys, keys.publicKeys);
    for (const [id, key] of Object.entries(keys.privateKeys)) await write(files.signingKey(id), key, true);
    for (const c of credentials) await write(files.credential(c.role), `${c.key}\n`, true);
    await write(files.config, yaml);

    const rel = (p: string) => relative(ctx.cwd, p) || '.';
    ctx.out.result(
      {
        dir,
        config: files.config,
        name,
        nodes,
        transport,
        credentials: Object.fromEntries(CREDENTIAL_ROLES.map((r) => [r, files.credential(r)])),
        files: written,
      },
      () => [
        `wrote cluster "${name}" (${count} node${count === 1 ? '' : 's'}, transport ${transport}) in ${rel(dir)}:`,
        ...written.map((p) => `  ${rel(p)}`),
        '',
        'next:',
        `  hypermesh up --config ${rel(files.config)}`,
        `  export HYPERMESH_TOKEN=$(cat ${rel(files.credential('admin'))})`,
        '  hypermesh status',
      ],
    );
  },
};
