import type { DnsRcode, DnsRecordType } from '@hypermesh/runtime';

/** Type codes with a name in the runtime's `DnsRecordType` (RFC 1035, 3596, 2782, 6698, 8659, 9460). */
const NAMED: ReadonlyArray<readonly [DnsRecordType, number]> = [
  ['A', 1],
  ['NS', 2],
  ['CNAME', 5],
  ['SOA', 6],
  ['NULL', 10],
  ['PTR', 12],
  ['MX', 15],
  ['TXT', 16],
  ['AAAA', 28],
  ['SRV', 33],
  ['TLSA', 52],
  ['SVCB', 64],
  ['HTTPS', 65],
  ['ANY', 255],
  ['CAA', 257],
];

const CODE_OF = new Map<string, number>(NAMED);
const NAME_OF = new Map<number, DnsRecordType>(NAMED.map(([name, code]) => [code, name]));
const TYPE_N = /^TYPE(\d{1,5})$/;

/** Wire type codes the server treats specially. */
export const TypeCode = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  TLSA: 52,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;

/** The wire code of a record type name (`A` → 1, `TYPE65280` → 65280); undefined when unknown. */
export function typeCode(type: string): number | undefined {
  const known = CODE_OF.get(type);
  if (known !== undefined) return known;
  const m = TYPE_N.exec(type);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** The runtime's name for a wire type code (1 → `A`, 13 → `TYPE13`, RFC 3597 style for the rest). */
export function typeName(code: number): DnsRecordType {
  return NAME_OF.get(code) ?? `TYPE${code}`;
}

/** The presentation name of any type code, for zone files and logs (`HINFO` as well as `A`). */
export function typeMnemonic(code: number): string {
  return code === TypeCode.HINFO ? 'HINFO' : typeName(code);
}

/** RCODE values (RFC 1035 §4.1.1, RFC 6891 for the extended BADVERS). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

const RCODE_NAMES: readonly DnsRcode[] = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The runtime's rcode name for a wire value; anything else the runtime cannot name is SERVFAIL. */
export function rcodeName(code: number): DnsRcode {
  return RCODE_NAMES[code] ?? 'SERVFAIL';
}

/** The wire value of an rcode name. */
export function rcodeCode(name: DnsRcode): number {
  return Rcode[name];
}

/** DNS opcodes (RFC 1035, 1996, 2136). Only QUERY is implemented. */
export const Opcode = { QUERY: 0 } as const;

/** Header flag bits (RFC 1035 §4.1.1, RFC 4035 for AD/CD). */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/** Extended DNS Error INFO-CODEs used by this server (RFC 8914 §4). */
export const EdeCode = {
  Other: 0,
  StaleAnswer: 3,
  Blocked: 15,
  Prohibited: 18,
  NotAuthoritative: 20,
  NotSupported: 21,
  NoReachableAuthority: 22,
  NetworkError: 23,
  InvalidData: 24,
} as const;

/** EDNS option codes (IANA registry). */
export const EdnsOptionCode = {
  Cookie: 10,
  Padding: 12,
  ExtendedError: 15,
} as const;
