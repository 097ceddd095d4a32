import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from './index.js';
import { operationsTable } from './operations-table.js';

const DOC = new URL('../../../../../docs/api.md', import.meta.url);
const BEGIN = '<!-- operations:begin (generated from OPERATIONS; UPDATE_DOCS=1 npx vitest run packages/plugin-gateway rewrites it) -->';
const END = '<!-- operations:end -->';

describe('docs/api.md', () => {
  it('lists every operation as the gateway serves it', async () => {
    const text = await readFile(DOC, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect(start, 'docs/api.md has the operations markers').toBeGreaterThanOrEqual(0);
    const expected = `${BEGIN}\n${operationsTable(OPERATIONS)}\n${END}`;
    const actual = text.slice(start, end + END.length);
    if (actual !== expected && process.env.UPDATE_DOCS === '1') {
      await writeFile(DOC, text.replace(actual, expected));
      return;
    }
    expect(actual).toBe(expected);
  });

  it('gives every operation a unique id, route and gRPC method', () => {
    const unique = (values: string[]) => new Set(values).size === values.length;
    expect(unique(OPERATIONS.map((o) => o.id))).toBe(true);
    expect(unique(OPERATIONS.map((o) => `${o.method} ${o.path}`))).toBe(true);
    expect(unique(OPERATIONS.map((o) => o.grpcMethod))).toBe(true);
  });
});
