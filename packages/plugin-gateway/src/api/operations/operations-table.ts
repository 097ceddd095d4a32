import type { AnyOperation } from '../operation.js';

/** The route table of docs/api.md, generated from the operations (a test keeps the doc in sync). */
export function operationsTable(operations: readonly AnyOperation[]): string {
  const rows = operations.map(
    (o) => `| \`${o.method} ${o.path}\` | \`${o.grpcMethod}\` | ${o.role} | ${o.mutating ? 'yes' : ''} | ${o.summary.replace(/\|/g, '\\|')} |`,
  );
  return ['| REST | gRPC method | least role | audited | what |', '|---|---|---|---|---|', ...rows].join('\n');
}
