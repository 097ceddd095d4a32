/**
 * Trains the default name model on the whole labelled development set and writes it to
 * src/names/default-model.json (committed). Deterministic: the same data and seed give the same
 * file. Run from the repository root:
 *
 *   npm run train -w @hypermesh/plugin-stoq            # uses ../shared/data/dns-names-dev.csv
 *   STOQ_DATA=/path/to/names.csv npm run train -w @hypermesh/plugin-stoq
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_NAME_TRAINING, trainNameModel } from '../src/names/train-name-model.js';
import { DEV_SET, loadLabelledNames } from './dataset.js';

const out = fileURLToPath(new URL('../src/names/default-model.json', import.meta.url));
const { rows, sha256 } = loadLabelledNames(DEV_SET);
const started = performance.now();
const model = trainNameModel(rows, {
  ...DEFAULT_NAME_TRAINING,
  name: `${DEFAULT_NAME_TRAINING.name}@${sha256.slice(0, 12)}`,
  provenance: { data: basename(DEV_SET), sha256 },
});
writeFileSync(out, `${JSON.stringify(model)}\n`);
const t = model.trainedOn as Record<string, unknown>;
console.log(`trained ${model.name} on ${t.rows} names in ${((performance.now() - started) / 1000).toFixed(1)} s → ${out}`);
console.log(`threshold ${model.threshold} (benign FPR target ${DEFAULT_NAME_TRAINING.targetFalsePositiveRate}); tunnel rule ${JSON.stringify(model.tunnel)}`);
console.log(`out-of-fold DGA recall ${t.outOfFoldDgaRecall}; by family ${JSON.stringify(t.recallByFamily)}`);
