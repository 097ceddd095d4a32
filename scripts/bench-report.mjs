// Writes one package's benchmark results into docs/benchmarks.md, between markers of its own, so
// every package's `npm run bench` updates its section and leaves the others alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');
const HEADER = `# Benchmarks

Every section is written by a package's \`npm run bench\`; the command, the machine and the date are
given with each. The machines are shared and noisy, so each result is reported as a ratio against a
peer measured in the same run, next to the absolute figures.
`;

/** A line describing the machine a benchmark ran on. */
export function machineLine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the section `id` of docs/benchmarks.md with `markdown`. */
export function writeBenchSection(id, markdown) {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  return file;
}
