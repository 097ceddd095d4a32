import { describe, expect, it } from 'vitest';
import { Btf } from '../layout/btf.js';
import { struct, u16, u32 } from '../layout/layout.js';
import { libbpfStatus } from '../native/libbpf.js';
import { PROGRAM_LAYOUTS } from './layouts.js';
import { shippedObjectPath } from './objects.js';

const status = libbpfStatus();
if (!status.available) console.log(`skipping the BTF layout checks: ${status.reason}`);

// Reading BTF from an object file needs libbpf but no privileges: this runs everywhere libbpf is.
describe.skipIf(!status.available)('TypeScript layouts against the BTF of the shipped objects', () => {
  for (const [object, layouts] of Object.entries(PROGRAM_LAYOUTS)) {
    describe(object, () => {
      for (const layout of layouts) {
        it(`${layout.cType} matches member by member`, () => {
          const btf = Btf.fromObjectFile(shippedObjectPath(object as 'dns_filter' | 'flow_stats'));
          try {
            expect(btf.differences(layout)).toEqual([]);
          } finally {
            btf.close();
          }
        });
      }
    });
  }

  it('reports drift: a wrong size, offset, signedness, length or missing member', () => {
    const btf = Btf.fromObjectFile(shippedObjectPath('dns_filter'));
    try {
      const drifted = struct('dns_filter_config', { port: u32, block_enabled: u16, answered_event_every: u32 });
      const differences = btf.differences(drifted);
      expect(differences).toContain('struct dns_filter_config: TypeScript says 12 bytes, BTF says 8');
      expect(differences).toContain('struct dns_filter_config.port: TypeScript says 4 bytes, BTF says 2');
      expect(differences).toContain('struct dns_filter_config.block_enabled: TypeScript puts it at offset 4, BTF at 2');
      expect(differences.some((d) => d.includes('rate_limit_enabled: in BTF'))).toBe(true);
      expect(() => btf.struct('no_such_struct')).toThrow("the object's BTF has no 'struct no_such_struct'");
    } finally {
      btf.close();
    }
  });
});
