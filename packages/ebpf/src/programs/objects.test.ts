import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/build-bpf.mjs', import.meta.url));

describe('shipped BPF objects', () => {
  // Rebuilds bpf/**/*.bpf.c from a copy in another directory and compares bytes with the
  // committed objects (skipped, with the reason, when this machine's clang differs).
  it('are exactly what their sources build to', { timeout: 120_000 }, () => {
    const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    if (out.startsWith('skipped:')) console.log(out.trim());
    else expect(out).toContain('BPF objects match their sources');
  });
});
