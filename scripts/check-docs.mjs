#!/usr/bin/env node
// Compiles every ```ts block of the docs and READMEs, so the code a user copies from the docs
// is code that type-checks against the current API. A block is a module of its own; mark a block
// ```ts no-check when it is deliberately a fragment.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.docs-check');

function markdownFiles() {
  const files = [join(root, 'README.md')];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'api' || entry.name === 'dist') continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.md')) files.push(p);
    }
  };
  walk(join(root, 'docs'));
  for (const base of ['packages', 'examples']) {
    const dir = join(root, base);
    if (!existsSync(dir)) continue;
    for (const pkg of readdirSync(dir)) {
      const readme = join(dir, pkg, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const written = [];
for (const file of markdownFiles()) {
  const text = readFileSync(file, 'utf8');
  const re = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm;
  let m;
  let n = 0;
  while ((m = re.exec(text)) !== null) {
    if (/no-check/.test(m[2])) continue;
    n++;
    const line = text.slice(0, m.index).split('\n').length;
    const name = `${relative(root, file).replace(/[^A-Za-z0-9]+/g, '_')}__${n}.ts`;
    writeFileSync(join(out, name), `// ${relative(root, file)}:${line}\n${m[3]}\nexport {};\n`);
    written.push(`${relative(root, file)}:${line}`);
  }
}
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: '../tsconfig.base.json',
      compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, lib: ['ES2023', 'DOM'] },
      include: ['*.ts'],
    },
    null,
    2,
  ),
);
console.log(`type-checking ${written.length} code blocks from the docs`);
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(out, 'tsconfig.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error('✖ a code block in the docs does not compile (the first line of each file in .docs-check names its source)');
  process.exit(1);
}
console.log('✔ every code block compiles');
