#!/usr/bin/env node
// `npm pack`s every publishable workspace package, installs the tarballs into an empty folder
// (outside the repository, so nothing resolves from the workspace), and loads each package with
// both `import` and `require`. This is what a user of the published packages gets.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaces } from './workspaces.mjs';

const root = new URL('..', import.meta.url).pathname;
const publishable = workspaces().filter((w) => !w.pkg.private);
const dir = mkdtempSync(join(tmpdir(), 'hypermesh-pack-'));
try {
  const tarballs = [];
  for (const w of publishable) {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(root, w.dir), encoding: 'utf8' });
    tarballs.push(join(dir, out.trim().split('\n').pop()));
  }
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-smoke', private: true, version: '0.0.0' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', ...tarballs], { cwd: app, stdio: 'inherit' });
  for (const w of publishable) {
    const subpaths = Object.keys(w.pkg.exports ?? { '.': {} }).filter((k) => k !== './package.json');
    for (const sub of subpaths) {
      const spec = sub === '.' ? w.name : `${w.name}/${sub.replace(/^\.\//, '')}`;
      const esm = `import(${JSON.stringify(spec)}).then((m) => { const n = Object.keys(m).length; if (n < 1) throw new Error('no exports'); console.log('import ${spec}: ' + n + ' exports'); })`;
      const cjs = `const m = require(${JSON.stringify(spec)}); const n = Object.keys(m).length; if (n < 1) throw new Error('no exports'); console.log('require ${spec}: ' + n + ' exports');`;
      execFileSync(process.execPath, ['-e', esm], { cwd: app, stdio: 'inherit' });
      execFileSync(process.execPath, ['-e', cjs], { cwd: app, stdio: 'inherit' });
    }
  }
  // The runtime must actually work from the installed package, not just load.
  const use = `
    const { createNode, definePlugin, createServiceRef } = require('@hypermesh/runtime');
    const ref = createServiceRef({ id: 'smoke', version: '1.0.0' });
    const p = definePlugin({ name: 'smoke', version: '1.0.0', provides: [ref], setup: (ctx) => ctx.provide(ref, 42) });
    const node = createNode({ plugins: [p], logger: require('pino')({ level: 'silent' }) });
    node.start().then(() => { if (node.get(ref) !== 42) throw new Error('service not provided'); return node.stop(); })
      .then(() => console.log('require @hypermesh/runtime: a node started and stopped'));`;
  execFileSync(process.execPath, ['-e', use], { cwd: app, stdio: 'inherit' });
  // Every command a package installs runs from the installed package (the CLI: --version, then a
  // real `init`, which needs its dependencies — plugin-grpc's CA helper — installed alongside).
  for (const w of publishable) {
    for (const bin of Object.keys(typeof w.pkg.bin === 'string' ? { [w.name.split('/').pop()]: w.pkg.bin } : (w.pkg.bin ?? {}))) {
      const path = join(app, 'node_modules', '.bin', bin);
      console.log(`${bin} --version: ${execFileSync(path, ['--version'], { cwd: app, encoding: 'utf8' }).trim()}`);
      if (bin === 'hypermesh') {
        const init = JSON.parse(execFileSync(path, ['init', 'smoke-cluster', '--json'], { cwd: app, encoding: 'utf8' }));
        if (init.nodes?.length !== 4) throw new Error(`hypermesh init wrote ${JSON.stringify(init.nodes)}, expected 4 nodes`);
        console.log(`hypermesh init: ${init.files.length} files for cluster '${init.name}'`);
      }
    }
  }
  console.log(`✔ ${publishable.length} package(s) installed from npm pack tarballs and loaded with import and require`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
