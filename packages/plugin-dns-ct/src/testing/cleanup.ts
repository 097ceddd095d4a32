/** Test support: things a test starts, stopped after it in reverse order, even when it fails. */
import { afterEach } from 'vitest';
import { startDnsNode, type DnsTestNode } from './node.js';
import { startStubUpstream, type StubUpstream } from './stub-upstream.js';

/** Registers an `afterEach` that runs every deferred stop; call once per `describe`. */
export function useCleanup() {
  const fns: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of fns.splice(0).reverse()) await fn();
  });
  return {
    /** Runs `fn` after the current test. */
    defer(fn: () => unknown): void {
      fns.push(fn);
    },
    /** A stub upstream closed after the test. */
    async stub(table: Parameters<typeof startStubUpstream>[0] = {}): Promise<StubUpstream> {
      const s = await startStubUpstream(table);
      fns.push(() => s.close());
      return s;
    },
    /** A node with the plugin, stopped after the test. */
    async node(...args: Parameters<typeof startDnsNode>): Promise<DnsTestNode> {
      const n = await startDnsNode(...args);
      fns.push(() => n.stop());
      return n;
    },
  };
}
