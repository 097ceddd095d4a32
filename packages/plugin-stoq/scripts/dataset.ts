/**
 * The labelled development set (`../shared/data/dns-names-dev.csv` beside the repository) and the
 * family split used by the evaluation. Shared by the training and evaluation scripts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRandom } from '@hypermesh/runtime';
import type { LabelledName } from '../src/names/train-name-model.js';

/** Where the data set lives: `$STOQ_DATA`, else `../shared/data/dns-names-dev.csv` next to the repository. */
export const DEV_SET = process.env.STOQ_DATA ?? fileURLToPath(new URL('../../../../shared/data/dns-names-dev.csv', import.meta.url));

/** The rows of the CSV (`qname,label,family`) and the SHA-256 of the file. */
export function loadLabelledNames(file = DEV_SET): { rows: LabelledName[]; sha256: string } {
  if (!existsSync(file)) throw new Error(`the labelled data set is not at ${file}; set STOQ_DATA to its path`);
  const text = readFileSync(file, 'utf8');
  const rows: LabelledName[] = [];
  const lines = text.split('\n');
  if (lines[0]?.trim() !== 'qname,label,family') throw new Error(`${file} does not start with the header qname,label,family`);
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [qname, label, family] = line.split(',');
    if (qname === undefined || family === undefined || (label !== 'benign' && label !== 'dga' && label !== 'tunnel')) {
      throw new Error(`${file}: malformed row ${JSON.stringify(line.slice(0, 80))}`);
    }
    rows.push({ qname, label, family });
  }
  return { rows, sha256: createHash('sha256').update(text).digest('hex') };
}

/** A split by family: test families and tools never appear in training; a slice of benign is held out. */
export interface FamilySplit {
  readonly seed: string;
  readonly train: LabelledName[];
  readonly test: LabelledName[];
  readonly testFamilies: string[];
  readonly trainFamilies: string[];
}

/** Splits by family with a seed: `dgaTest` DGA families, `tunnelTest` tools, `benignTest` share of benign. */
export function familySplit(rows: readonly LabelledName[], seed: string, dgaTest = 6, tunnelTest = 1, benignTest = 0.2): FamilySplit {
  const random = createRandom(seed);
  const families = (label: string) => [...new Set(rows.filter((r) => r.label === label).map((r) => r.family))].sort();
  const testFamilies = [...random.shuffle(families('dga')).slice(0, dgaTest), ...random.shuffle(families('tunnel')).slice(0, tunnelTest)].sort();
  const held = new Set(testFamilies);
  const train: LabelledName[] = [];
  const test: LabelledName[] = [];
  for (const r of rows) {
    if (r.label === 'benign') (random.next() < benignTest ? test : train).push(r);
    else (held.has(r.family) ? test : train).push(r);
  }
  const trainFamilies = [...new Set(train.filter((r) => r.label !== 'benign').map((r) => r.family))].sort();
  return { seed, train, test, testFamilies, trainFamilies };
}
