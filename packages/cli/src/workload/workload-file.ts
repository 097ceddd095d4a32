import { workloadSpecSchema } from '@hypermesh/plugin-gateway';
import type { WorkloadSpec } from '@hypermesh/runtime';
import { parseAllDocuments } from 'yaml';
import { readInputFile } from '../cli/read-input.js';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

const invalid = (file: string, problems: readonly string[]) =>
  new CliError(
    CliErrorCode.InvalidInput,
    `${file} is not a valid workload spec (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    ExitCode.InvalidInput,
    { details: { file, problems } },
  );

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out === '' ? String(s) : `${out}.${String(s)}`), '') || '(document)';
}

/**
 * Reads workload specs from a YAML or JSON file: one spec, a YAML stream of specs (`---`), or a
 * JSON array. Every spec is validated before anything is sent, and every problem is reported
 * with its document and field path.
 */
export async function readWorkloadFile(file: string): Promise<WorkloadSpec[]> {
  const text = await readInputFile(file);
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const docs = Array.isArray(documents) ? documents : [documents];
  const syntax = docs.flatMap((d) => d.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`));
  if (syntax.length > 0) throw invalid(file, syntax);
  let values: unknown[] = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length === 1 && Array.isArray(values[0])) values = values[0] as unknown[];
  if (values.length === 0) throw invalid(file, ['the file holds no workload spec']);
  const specs: WorkloadSpec[] = [];
  const problems: string[] = [];
  values.forEach((value, i) => {
    const parsed = workloadSpecSchema.safeParse(value);
    const where = values.length === 1 ? '' : `spec ${i + 1}: `;
    if (parsed.success) specs.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push(`${where}${pathOf(issue.path)}: ${issue.message}`);
  });
  if (problems.length > 0) throw invalid(file, problems);
  return specs;
}
