/**
 * Reads the BTF of an object file (libbpf's btf__parse_elf: no privileges needed) and compares
 * TypeScript layouts with the C structs it describes, member by member.
 */
import { EbpfError, EbpfErrorCode } from '../errors.js';
import type { Pointer } from '../native/koffi.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';
import type { Layout } from './layout.js';

// BTF kinds (include/uapi/linux/btf.h)
const KIND = { int: 1, ptr: 2, array: 3, struct: 4, union: 5, enum: 6, typedef: 8, volatile: 9, const: 10, restrict: 11, typeTag: 18 };
const BTF_INT_SIGNED = 1;

/** A type as BTF describes it, after typedefs and qualifiers are resolved. */
export type BtfType =
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly signed: boolean }
  | { readonly kind: 'array'; readonly element: BtfType; readonly length: number; readonly size: number }
  | { readonly kind: 'struct'; readonly name: string; readonly size: number; readonly members: readonly BtfMember[] }
  | { readonly kind: 'other'; readonly name: string; readonly size: number };

/** A struct member in BTF. */
export interface BtfMember {
  readonly name: string;
  /** Byte offset (bitfields are reported with a fractional offset). */
  readonly offset: number;
  readonly type: BtfType;
}

interface RawType {
  readonly nameOff: number;
  readonly kind: number;
  readonly vlen: number;
  readonly kindFlag: boolean;
  readonly sizeOrType: number;
  readonly view: DataView;
}

/** The BTF of an object file. Free it with `close()` (BTF read from a loaded `BpfObject` is owned by it). */
export class Btf {
  #handle: Pointer | undefined;
  readonly #owned: boolean;
  readonly #lib: Libbpf;

  private constructor(lib: Libbpf, handle: Pointer, owned: boolean) {
    this.#lib = lib;
    this.#handle = handle;
    this.#owned = owned;
  }

  /** Parses the `.BTF` section of an ELF object file. */
  static fromObjectFile(path: string): Btf {
    const lib = libbpf();
    const handle = lib.btfParseElf(path, null);
    if (!handle) {
      throw new EbpfError(EbpfErrorCode.Btf, `could not read BTF from '${path}': is it a BPF object built with clang -g?`, {
        errno: lib.koffi.errno(),
      });
    }
    return new Btf(lib, handle, true);
  }

  /** @internal Wraps BTF owned by a libbpf object (freed with it). */
  static borrowed(lib: Libbpf, handle: Pointer): Btf {
    return new Btf(lib, handle, false);
  }

  /** Describes the struct `name`; throws `E_EBPF_BTF` when the object has none by that name. */
  struct(name: string): Extract<BtfType, { kind: 'struct' }> {
    const id = this.#lib.btfFindByNameKind(this.#live(), name, KIND.struct);
    if (id < 0) throw new EbpfError(EbpfErrorCode.Btf, `the object's BTF has no 'struct ${name}': is it used by a map or a program?`);
    return this.#describe(id, 0) as Extract<BtfType, { kind: 'struct' }>;
  }

  /**
   * Compares a layout with the BTF struct of the same name and returns every difference as a
   * sentence (empty when they match): size, member names, offsets, integer sizes and
   * signedness, array lengths, nested structs.
   */
  differences(layout: Layout<unknown>): string[] {
    const name = layout.cType.replace(/^struct /, '');
    if (layout.shape.kind !== 'struct') return [`${layout.cType} is not a struct layout`];
    return compare(layout, this.struct(name), `struct ${name}`);
  }

  /** Frees the BTF (a no-op for BTF owned by an object). */
  close(): void {
    if (this.#handle && this.#owned) this.#lib.btfFree(this.#handle);
    this.#handle = undefined;
  }

  #live(): Pointer {
    if (!this.#handle) throw new EbpfError(EbpfErrorCode.Closed, 'this BTF was closed; read it again');
    return this.#handle;
  }

  #raw(id: number): RawType {
    const ptr = this.#lib.btfTypeById(this.#live(), id);
    if (!ptr) throw new EbpfError(EbpfErrorCode.Btf, `BTF type id ${id} does not exist`);
    const head = new DataView(this.#lib.koffi.view(ptr, 12));
    const info = head.getUint32(4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = kind === KIND.int ? 4 : kind === KIND.array ? 12 : kind === KIND.struct || kind === KIND.union ? vlen * 12 : 0;
    return {
      nameOff: head.getUint32(0, true),
      kind,
      vlen,
      kindFlag: info >>> 31 === 1,
      sizeOrType: head.getUint32(8, true),
      view: new DataView(this.#lib.koffi.view(ptr, 12 + extra)),
    };
  }

  #name(offset: number): string {
    return this.#lib.btfNameByOffset(this.#live(), offset) ?? '';
  }

  #describe(id: number, depth: number): BtfType {
    if (depth > 16) throw new EbpfError(EbpfErrorCode.Btf, `BTF type id ${id} nests too deeply`);
    const t = this.#raw(id);
    const name = this.#name(t.nameOff);
    const skip = [KIND.typedef, KIND.volatile, KIND.const, KIND.restrict, KIND.typeTag];
    if (skip.includes(t.kind)) return this.#describe(t.sizeOrType, depth + 1);
    if (t.kind === KIND.int) {
      const encoding = (t.view.getUint32(12, true) >>> 24) & 0x0f;
      return { kind: 'int', name, size: t.sizeOrType, signed: (encoding & BTF_INT_SIGNED) !== 0 };
    }
    if (t.kind === KIND.enum) return { kind: 'int', name, size: t.sizeOrType, signed: false };
    if (t.kind === KIND.array) {
      const element = this.#describe(t.view.getUint32(12, true), depth + 1);
      const length = t.view.getUint32(20, true);
      return { kind: 'array', element, length, size: element.size * length };
    }
    if (t.kind === KIND.struct) {
      const members: BtfMember[] = [];
      for (let i = 0; i < t.vlen; i++) {
        const at = 12 + i * 12;
        const bits = t.view.getUint32(at + 8, true);
        const bitOffset = t.kindFlag ? bits & 0xffffff : bits;
        members.push({
          name: this.#name(t.view.getUint32(at, true)),
          offset: bitOffset / 8,
          type: this.#describe(t.view.getUint32(at + 4, true), depth + 1),
        });
      }
      return { kind: 'struct', name, size: t.sizeOrType, members };
    }
    const size = Number(this.#lib.btfResolveSize(this.#live(), id));
    return { kind: 'other', name: name || `kind ${t.kind}`, size: size < 0 ? 0 : size };
  }
}

function compare(layout: Layout<unknown>, btf: BtfType, path: string): string[] {
  const out: string[] = [];
  if (layout.size !== btf.size) out.push(`${path}: TypeScript says ${layout.size} bytes, BTF says ${btf.size}`);
  const shape = layout.shape;
  if (shape.kind === 'struct') {
    if (btf.kind !== 'struct') return [...out, `${path}: TypeScript declares a struct, BTF has ${btf.kind}`];
    const members = new Map(btf.members.map((m) => [m.name, m]));
    for (const f of shape.fields) {
      const m = members.get(f.name);
      if (!m) {
        out.push(`${path}.${f.name}: no such member in BTF (members: ${btf.members.map((x) => x.name).join(', ')})`);
        continue;
      }
      members.delete(f.name);
      if (m.offset !== f.offset) out.push(`${path}.${f.name}: TypeScript puts it at offset ${f.offset}, BTF at ${m.offset}`);
      out.push(...compare(f.layout, m.type, `${path}.${f.name}`));
    }
    for (const m of members.values()) out.push(`${path}.${m.name}: in BTF (offset ${m.offset}) but not in the TypeScript layout`);
  } else if (shape.kind === 'array') {
    if (btf.kind !== 'array') return [...out, `${path}: TypeScript declares an array, BTF has ${btf.kind}`];
    if (shape.length !== btf.length) out.push(`${path}: TypeScript says ${shape.length} elements, BTF says ${btf.length}`);
    out.push(...compare(shape.element, btf.element, `${path}[]`));
  } else if (shape.kind === 'int') {
    if (btf.kind !== 'int') return [...out, `${path}: TypeScript declares an integer, BTF has ${btf.kind}`];
    if (shape.signed !== btf.signed) out.push(`${path}: TypeScript says ${shape.signed ? 'signed' : 'unsigned'}, BTF says ${btf.signed ? 'signed' : 'unsigned'}`);
  } else if (btf.kind !== 'array') {
    out.push(`${path}: TypeScript declares padding bytes, BTF has ${btf.kind}`);
  }
  return out;
}
