import { describe, expect, it } from 'vitest';
import { libbpfStatus } from './libbpf.js';
import { libbpf } from './libbpf.js';
import { LIBBPF_STRUCT_SIZES } from './structs.js';

const status = libbpfStatus();
if (!status.available) console.log(`skipping the koffi struct checks: ${status.reason}`);

describe.skipIf(!status.available)('libbpf opts structs declared through koffi', () => {
  it('have the sizes of libbpf 1.1 headers, so `sz` tells libbpf the truth', () => {
    expect(libbpf().structs.sizes).toEqual(LIBBPF_STRUCT_SIZES);
  });
});
