import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HypermeshError } from '../errors.js';
import { clusterConfigSchema, clusterSections, parseClusterConfig, type ClusterConfig } from './cluster-config.js';

// Keeps docs/cluster.md in sync with the zod schema: every field of the schema is a row of the
// reference with the default loadClusterConfig gives and every allowed value; every row is a field
// of the schema; the complete example validates; the error output shown is the real one.

const DOC_FILE = fileURLToPath(new URL('../../../../docs/cluster.md', import.meta.url));
const doc = readFileSync(DOC_FILE, 'utf8');

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
}

interface Field {
  /** `spec.nodes[].id` */
  readonly path: string;
  readonly required: boolean;
  /** Default of a field inside a list item (from the schema); fields outside lists are read from a parsed document. */
  readonly itemDefault: unknown;
  /** Allowed values, when the field is an enum or a constant. */
  readonly values: readonly unknown[] | undefined;
}

/** The documented fields: leaves, lists (and the fields of their items), maps. Objects with properties are not rows. */
function fieldsOf(schema: JsonSchema, prefix = '', required = false, inItem = false): Field[] {
  const fields: Field[] = [];
  const row = (s: JsonSchema) =>
    fields.push({ path: prefix, required, itemDefault: inItem ? s.default : undefined, values: s.enum ?? (s.const === undefined ? undefined : [s.const]) });
  if (schema.properties !== undefined) {
    for (const [key, child] of Object.entries(schema.properties)) {
      fields.push(...fieldsOf(child, prefix === '' ? key : `${prefix}.${key}`, schema.required?.includes(key) ?? false, inItem));
    }
    return fields;
  }
  row(schema);
  if (schema.type === 'array' && schema.items?.properties !== undefined) fields.push(...fieldsOf(schema.items, `${prefix}[]`, false, true));
  return fields;
}

/** The value at a dotted path of the parsed minimal document. */
function valueAt(config: ClusterConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], config);
}

/** How a default is written in the reference's default column. */
const written = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

interface Row {
  readonly path: string;
  readonly type: string;
  readonly default: string;
}

function referenceRows(): Row[] {
  const start = doc.indexOf('\n## Reference');
  const end = doc.indexOf('\n## ', start + 1);
  expect(start, 'docs/cluster.md has a "## Reference" section').toBeGreaterThan(0);
  return doc
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      return { path: cells[1]!.replace(/`/g, ''), type: cells[2]!, default: cells[3]! };
    });
}

/** The fenced blocks of the doc with their info string. */
function blocks(): { info: string; body: string }[] {
  return [...doc.matchAll(/^```([^\n]*)\n([\s\S]*?)^```/gm)].map((m) => ({ info: m[1]!.trim(), body: m[2]! }));
}

const MINIMAL = 'apiVersion: hypermesh.io/v1\nkind: Cluster\nmetadata:\n  name: c1\n';

describe('docs/cluster.md', () => {
  const schema = z.toJSONSchema(clusterConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const fields = fieldsOf(schema);
  const rows = referenceRows();
  const defaults = parseClusterConfig(MINIMAL);

  it('documents every field of the schema, and only those', () => {
    expect(fields.length).toBeGreaterThan(40);
    const documented = rows.map((r) => r.path);
    expect(documented.filter((p, i) => documented.indexOf(p) !== i), 'rows listed twice').toEqual([]);
    expect(fields.map((f) => f.path).filter((p) => !documented.includes(p)), 'schema fields missing from the reference').toEqual([]);
    expect(documented.filter((p) => !fields.some((f) => f.path === p)), 'documented fields that are not in the schema').toEqual([]);
  });

  it('gives each field the default loadClusterConfig applies (or says it is required / absent)', () => {
    const wrong: string[] = [];
    for (const field of fields) {
      const row = rows.find((r) => r.path === field.path);
      if (row === undefined) continue;
      const value = field.path.includes('[]') ? field.itemDefault : valueAt(defaults, field.path);
      const expected = field.required ? 'required' : value === undefined ? '—' : `\`${written(value)}\``;
      const actual = field.required || value === undefined ? row.default : (/`[^`]*`/.exec(row.default)?.[0] ?? row.default);
      if (actual !== expected) wrong.push(`${field.path}: the doc says ${row.default}, the schema gives ${expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lists every allowed value of enum and constant fields in the type column', () => {
    const missing: string[] = [];
    for (const field of fields.filter((f) => f.values !== undefined)) {
      const row = rows.find((r) => r.path === field.path);
      for (const v of field.values!) if (row !== undefined && !row.type.includes(`\`${written(v)}\``)) missing.push(`${field.path}: ${written(v)}`);
    }
    // the transport is an enum behind a pipe (its input side is a string): check it by parsing
    for (const transport of ['memory', 'grpc']) {
      expect(parseClusterConfig(`${MINIMAL}spec:\n  networking:\n    transport: ${transport}\n`).spec.networking.transport).toBe(transport);
      expect(rows.find((r) => r.path === 'spec.networking.transport')!.type).toContain(`\`${transport}\``);
    }
    expect(missing).toEqual([]);
  });

  it('has a complete example that validates and sets every section', () => {
    const examples = blocks().filter((b) => b.info === 'yaml' && b.body.startsWith('apiVersion: hypermesh.io/v1'));
    expect(examples.length).toBeGreaterThan(1);
    // every document shown validates (the last one is the complete example)
    for (const example of examples) expect(() => parseClusterConfig(example.body, { env: {} })).not.toThrow();
    const complete = parseClusterConfig(examples.at(-1)!.body, { env: {}, source: 'the complete example' });
    const raw = examples.at(-1)!.body;
    for (const section of ['nodes', 'consensus', 'dns_ct', 'stoq', 'networking', 'security', 'monitoring', 'plugins']) {
      expect(raw, `the complete example sets spec.${section}`).toMatch(new RegExp(`^  ${section}:`, 'm'));
    }
    expect(complete.spec.consensus).toMatchObject({ timeout: 150, data_dir: '/var/lib/hypermesh/pbft' });
    // what "How sections reach plugins" says about clusterSections
    const slices = clusterSections(complete);
    expect(slices['@hypermesh/plugin-pbft']).toEqual({ ...complete.spec.consensus, view_change_timeout: '300ms' });
    expect(slices['@hypermesh/plugin-dns-ct']).toEqual({ ...complete.spec.dns_ct, allow_clients: ['127.0.0.0/8'] });
    expect(slices['@hypermesh/plugin-stoq']).toMatchObject({ ...complete.spec.stoq, webhook: { url: 'https://alerts.example.com/hypermesh' } });
    expect((slices['@hypermesh/plugin-stoq'] as { policy: { cluster_nodes: unknown[] } }).policy.cluster_nodes).toHaveLength(4);
    expect(slices['@hypermesh/plugin-gateway']).toEqual({ listen: '127.0.0.1:8080' });
  });

  it('shows the error output parseClusterConfig really gives for each invalid example', () => {
    const all = blocks();
    const invalid = all.flatMap((b, i) => (b.info === 'yaml invalid' ? [i] : []));
    expect(invalid.length).toBeGreaterThanOrEqual(2);
    for (const index of invalid) {
      const output = all[index + 1]!;
      expect(output.info, 'an invalid example is followed by its output').toBe('text');
      let error: unknown;
      try {
        parseClusterConfig(all[index]!.body, { source: 'cluster.yaml' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(HypermeshError);
      expect((error as HypermeshError).code).toBe('E_CONFIG_INVALID');
      expect((error as HypermeshError).message).toBe(output.body.trimEnd());
    }
  });
});
