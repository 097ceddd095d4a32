#!/usr/bin/env node
// Runs an npm script in every workspace, in dependency order (a package after the workspace
// packages it depends on), so that each build finds its dependencies' declaration files.
//   node scripts/workspaces.mjs run <script> [--only name,name]
//   node scripts/workspaces.mjs list
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function workspaces() {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const list = [];
  for (const pattern of rootPkg.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    const dir = join(root, base);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      const pkgFile = join(dir, entry, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
      list.push({ name: pkg.name, dir: join(base, entry), pkg });
    }
  }
  const byName = new Map(list.map((w) => [w.name, w]));
  const ordered = [];
  const state = new Map();
  const visit = (w, path) => {
    if (state.get(w.name) === 'done') return;
    if (state.get(w.name) === 'visiting') throw new Error(`workspace dependency cycle: ${[...path, w.name].join(' -> ')}`);
    state.set(w.name, 'visiting');
    const deps = { ...w.pkg.dependencies, ...w.pkg.devDependencies, ...w.pkg.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const target = byName.get(dep);
      if (target) visit(target, [...path, w.name]);
    }
    state.set(w.name, 'done');
    ordered.push(w);
  };
  for (const w of list) visit(w, []);
  return ordered;
}

function main() {
  const [command, script, ...rest] = process.argv.slice(2);
  const onlyIndex = rest.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set(rest[onlyIndex + 1].split(',')) : undefined;
  const list = workspaces().filter((w) => !only || only.has(w.name) || only.has(w.dir));
  if (command === 'list') {
    for (const w of list) console.log(`${w.name}\t${w.dir}`);
    return;
  }
  if (command !== 'run' || !script) {
    console.error('usage: workspaces.mjs run <script> [--only a,b] | list');
    process.exit(2);
  }
  for (const w of list) {
    if (!w.pkg.scripts?.[script]) continue;
    console.log(`\n▶ ${w.name}: npm run ${script}`);
    const r = spawnSync('npm', ['run', script], { cwd: join(root, w.dir), stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`✖ ${w.name}: npm run ${script} failed with exit code ${r.status}`);
      process.exit(r.status ?? 1);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
