import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EbpfError, EbpfErrorCode } from '../errors.js';

/** The BPF objects shipped in this package (built from bpf/*.bpf.c). */
export type ShippedObject = 'dns_filter' | 'flow_stats' | 'examples/packet_counter';

let objDir: string | undefined;

/** The path of a shipped BPF object (`bpf/obj/<name>.bpf.o` in the installed package). */
export function shippedObjectPath(name: ShippedObject): string {
  if (!objDir) {
    // src/programs/ in the repository, dist/ once built: walk up to the package's bpf/obj.
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 4 && !existsSync(join(dir, 'bpf', 'obj')); i++) dir = dirname(dir);
    objDir = join(dir, 'bpf', 'obj');
  }
  const path = join(objDir, `${name}.bpf.o`);
  if (!existsSync(path)) {
    throw new EbpfError(EbpfErrorCode.Open, `the shipped BPF object '${path}' is missing: reinstall @hypermesh/ebpf (or run npm run build:bpf in its repository)`);
  }
  return path;
}
