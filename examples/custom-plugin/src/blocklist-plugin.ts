import {
  createServiceRef,
  definePlugin,
  dnsQueryHook,
  type DnsQueryEvent,
  type DnsQueryVerdict,
} from '@hypermesh/runtime';
import { z } from 'zod';

/** What the blocklist service offers to other plugins and to the integrator. */
export interface Blocklist {
  /** Blocks a domain and every name below it. */
  add(domain: string): void;
  /** Unblocks a domain. */
  remove(domain: string): void;
  /** True when `name` is the domain or below a blocked domain. */
  blocks(name: string): boolean;
  /** The blocked domains, sorted. */
  list(): string[];
}

/** The service ref: other plugins declare it in `requires.services` and `ctx.use` it. */
export const blocklistRef = createServiceRef<Blocklist>({
  id: 'example.blocklist',
  version: '1.0.0',
  description: 'Domains the DNS server refuses',
});

/** The plugin's config: validated by the runtime, typed in `ctx.config`. */
export const blocklistConfig = z.object({
  /** Domains blocked from the start. */
  domains: z.array(z.string().regex(/^[a-z0-9.-]+$/, 'must be a lower-case domain name')).default([]),
  /** `refuse` answers REFUSED; `drop` sends nothing. */
  action: z.enum(['refuse', 'drop']).default('refuse'),
});

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * A DNS blocklist. It taps `dns.query` in the `pre` group, so it decides before any other stage,
 * and answers from memory: the tap is synchronous because the DNS server calls the hook with
 * `callSync` on its per-packet path.
 */
export const blocklistPlugin = definePlugin({
  name: '@hypermesh/example-custom-plugin',
  version: '0.1.0',
  description: 'Refuses DNS queries for blocked domains',
  requires: { runtime: '^0.1.0' },
  provides: [blocklistRef],
  config: blocklistConfig,
  setup(ctx) {
    const blocked = new Set(ctx.config.domains.map(normalise));
    const refused = ctx.metrics.counter({
      name: 'hypermesh_example_blocklist_refused_total',
      help: 'Queries the blocklist refused or dropped',
    });

    const blocks = (name: string) => {
      let n = normalise(name);
      for (;;) {
        if (blocked.has(n)) return true;
        const dot = n.indexOf('.');
        if (dot < 0) return false;
        n = n.slice(dot + 1);
      }
    };

    ctx.provide(blocklistRef, {
      add: (domain) => void blocked.add(normalise(domain)),
      remove: (domain) => void blocked.delete(normalise(domain)),
      blocks,
      list: () => [...blocked].sort(),
    });

    ctx.hooks.tap(
      dnsQueryHook,
      (query: DnsQueryEvent): DnsQueryVerdict | undefined => {
        if (!blocks(query.question.name)) return undefined;
        refused.inc();
        return { action: ctx.config.action, reason: `'${query.question.name}' is on the blocklist` };
      },
      { name: 'blocklist', order: 'pre' },
    );

    ctx.onHealthCheck(() => ({ status: 'ok', detail: `${blocked.size} domains blocked` }));
    ctx.logger.info({ domains: blocked.size }, 'blocklist ready');
  },
});
