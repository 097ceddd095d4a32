#!/usr/bin/env node
// Builds the BPF objects from bpf/**/*.bpf.c (npm run build:bpf), or checks that the committed
// objects are exactly what the sources build to (--check, run by src/programs/objects.test.ts).
//
// The build is reproducible: it compiles from the source directory with relative paths, maps that
// directory to "." in the debug info (-fdebug-prefix-map), and strips DWARF but keeps BTF, so a
// build in any other directory with the same clang gives identical bytes. bpf/obj/TOOLCHAIN records
// the clang that built the shipped objects; --check only compares bytes when the local clang is it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every object the package builds: source and output, relative to the bpf/ directory. */
export const TARGETS = [
  ...['dns_filter', 'flow_stats'].map((n) => ({ source: `${n}.bpf.c`, output: `obj/${n}.bpf.o` })),
  { source: 'examples/packet_counter.bpf.c', output: 'obj/examples/packet_counter.bpf.o' },
  { source: 'test/verifier_reject.bpf.c', output: 'test/obj/verifier_reject.bpf.o' },
];

const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** The first line of `clang --version`, or undefined when clang is missing. */
export function clangVersion() {
  try {
    return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return undefined;
  }
}

/** Builds every target of the bpf directory `bpfDir` into `bpfDir` itself. */
export function build(bpfDir) {
  const multiarch = MULTIARCH[process.arch] ?? `${process.arch}-linux-gnu`;
  for (const t of TARGETS) {
    const out = join(bpfDir, t.output);
    mkdirSync(dirname(out), { recursive: true });
    execFileSync(
      'clang',
      [
        '-O2', '-g', '-target', 'bpfel', '-mcpu=v3',
        '-Wall', '-Werror',
        `-I/usr/include/${multiarch}`, '-Iinclude',
        `-fdebug-prefix-map=${bpfDir}=.`,
        '-c', t.source, '-o', t.output,
      ],
      { cwd: bpfDir, stdio: 'inherit' },
    );
    // DWARF is for debuggers; libbpf needs only .BTF and .BTF.ext, which --strip-debug keeps.
    execFileSync('llvm-strip', ['--strip-debug', t.output], { cwd: bpfDir, stdio: 'inherit' });
  }
}

/** Rebuilds from a copy of the sources in a temporary directory and compares with the committed objects. */
export function check() {
  const recorded = readFileSync(join(packageDir, 'bpf', 'obj', 'TOOLCHAIN'), 'utf8').trim();
  const local = clangVersion();
  if (local !== recorded) {
    return { skipped: `the shipped objects were built with "${recorded}", this machine has "${local ?? 'no clang'}"` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hypermesh-bpf-check-'));
  try {
    const copy = join(dir, 'elsewhere', 'bpf');
    cpSync(join(packageDir, 'bpf'), copy, { recursive: true, filter: (p) => !p.endsWith('.o') });
    build(copy);
    const mismatches = TARGETS.filter((t) => !readFileSync(join(copy, t.output)).equals(readFileSync(join(packageDir, 'bpf', t.output)))).map(
      (t) => t.output,
    );
    return { mismatches };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  if (process.argv.includes('--check')) {
    const r = check();
    if (r.skipped) {
      console.log(`skipped: ${r.skipped}`);
      return;
    }
    if (r.mismatches.length > 0) {
      console.error(`✖ these objects differ from what their sources build to: ${r.mismatches.join(', ')} — run npm run build:bpf and commit`);
      process.exit(1);
    }
    console.log(`✔ ${TARGETS.length} BPF objects match their sources`);
    return;
  }
  const version = clangVersion();
  if (!version) {
    console.error('✖ clang is missing: install clang and llvm (Debian: apt-get install clang llvm libbpf-dev)');
    process.exit(1);
  }
  const bpfDir = join(packageDir, 'bpf');
  build(bpfDir);
  writeFileSync(join(bpfDir, 'obj', 'TOOLCHAIN'), `${version}\n`);
  console.log(`✔ built ${TARGETS.length} BPF objects with ${version}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
