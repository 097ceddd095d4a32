import { readFile } from 'node:fs/promises';
import type { ZoneRecordInput } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { absoluteName } from './zone-records.js';

/** A token of a master file line, with whether it was quoted. */
interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/** One logical entry: the tokens of a line (parentheses joined), whether it began with blank space. */
interface Entry {
  readonly line: number;
  readonly tokens: Token[];
  readonly continued: boolean;
}

function fail(source: string, line: number, message: string): DnsCtError {
  return new DnsCtError(DnsCtErrorCode.ZoneFile, `${source}, line ${line}: ${message}`);
}

/** Splits master-file text into entries (RFC 1035 §5.1: `;` comments, `( … )` spanning lines, quotes). */
function entries(text: string, source: string): Entry[] {
  const out: Entry[] = [];
  let tokens: Token[] = [];
  let depth = 0;
  let startLine = 1;
  let continued = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (depth === 0) {
      tokens = [];
      startLine = n + 1;
      continued = /^[ \t]/.test(line);
    }
    for (let i = 0; i < line.length; ) {
      const ch = line[i]!;
      if (ch === ' ' || ch === '\t') i++;
      else if (ch === ';') break;
      else if (ch === '(') {
        depth++;
        i++;
      } else if (ch === ')') {
        if (--depth < 0) throw fail(source, n + 1, "')' without '('");
        i++;
      } else if (ch === '"') {
        let s = '';
        let j = i + 1;
        for (; j < line.length && line[j] !== '"'; j++) {
          if (line[j] === '\\' && j + 1 < line.length) {
            const digits = /^\d{3}/.exec(line.slice(j + 1, j + 4));
            if (digits !== null) {
              s += String.fromCharCode(Number(digits[0]));
              j += 3;
            } else s += line[++j];
          } else s += line[j];
        }
        if (j >= line.length) throw fail(source, n + 1, 'unterminated quoted string');
        tokens.push({ text: s, quoted: true });
        i = j + 1;
      } else {
        let j = i;
        while (j < line.length && !' \t;()"'.includes(line[j]!)) j += line[j] === '\\' ? 2 : 1;
        tokens.push({ text: line.slice(i, j), quoted: false });
        i = j;
      }
    }
    if (depth === 0 && tokens.length > 0) out.push({ line: startLine, tokens, continued });
  }
  if (depth !== 0) throw fail(source, startLine, "'(' without ')'");
  return out;
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A TTL: seconds, or BIND units (`1h30m`). */
function parseTtl(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const parts = /^(\d+[smhdw])+$/i.test(text) ? text.toLowerCase().match(/\d+[smhdw]/g) : null;
  return parts === null ? undefined : parts.reduce((sum, p) => sum + Number(p.slice(0, -1)) * UNIT[p.slice(-1)]!, 0);
}

const ZONE_TYPES = new Set(['A', 'AAAA', 'SRV', 'TXT', 'TLSA']);
const IGNORED_TYPES = new Set(['SOA', 'NS']);

/**
 * Parses the master-file subset the service-discovery zone understands: `$ORIGIN`, `$TTL`, owner
 * names (absolute, relative, `@`, or blank for the previous owner), optional TTL and class `IN`,
 * types A, AAAA, SRV, TXT and TLSA; SOA and NS lines are accepted and ignored (the zone
 * synthesises both). The extension `$TLS <name>` binds a name to its certificate. Names must lie
 * inside `domain`. Throws `E_DNS_ZONE_FILE` naming the line.
 */
export function parseZoneFile(text: string, domain: string, source = 'zone file'): ZoneRecordInput[] {
  let origin = domain;
  let defaultTtl: number | undefined;
  let previousOwner: string | undefined;
  const records: ZoneRecordInput[] = [];
  const bound = new Set<string>();
  const nameOf = (line: number, text: string) => {
    const name = absoluteName(text === '@' ? `${origin}.` : text.endsWith('.') ? text : `${text}.${origin}.`, domain);
    if (name === undefined) throw fail(source, line, `'${text}' is not a name inside the cluster domain '${domain}'`);
    return name;
  };
  for (const { line, tokens, continued } of entries(text, source)) {
    const first = tokens[0]!.text;
    if (!tokens[0]!.quoted && first.startsWith('$')) {
      const arg = tokens[1]?.text;
      if (first === '$ORIGIN' && arg !== undefined) origin = nameOf(line, arg.endsWith('.') ? arg : `${arg}.${origin}.`);
      else if (first === '$TTL' && arg !== undefined && parseTtl(arg) !== undefined) defaultTtl = parseTtl(arg);
      else if (first === '$TLS' && arg !== undefined) bound.add(nameOf(line, arg));
      else throw fail(source, line, `directive '${tokens.map((t) => t.text).join(' ')}' is not supported ($ORIGIN, $TTL, $TLS are)`);
      continue;
    }
    let i = 0;
    let owner = previousOwner;
    if (!continued) owner = nameOf(line, tokens[i++]!.text);
    if (owner === undefined) throw fail(source, line, 'the first record has no owner name');
    previousOwner = owner;
    let ttl = defaultTtl;
    for (let k = 0; k < 2 && i < tokens.length; k++) {
      const t = tokens[i]!.text;
      if (/^IN$/i.test(t)) i++;
      else if (parseTtl(t) !== undefined && !ZONE_TYPES.has(t.toUpperCase())) {
        ttl = parseTtl(t);
        i++;
      }
    }
    const type = tokens[i++]?.text.toUpperCase();
    const rdata = tokens.slice(i);
    if (type === undefined) throw fail(source, line, 'a record without a type');
    if (IGNORED_TYPES.has(type)) continue;
    if (!ZONE_TYPES.has(type)) throw fail(source, line, `type '${type}' is not held by the service-discovery zone (A, AAAA, SRV, TXT, TLSA)`);
    const need = (n: number) => {
      if (rdata.length !== n) throw fail(source, line, `${type} needs ${n} RDATA field${n === 1 ? '' : 's'}, found ${rdata.length}`);
    };
    const num = (t: Token) => {
      if (!/^\d+$/.test(t.text)) throw fail(source, line, `'${t.text}' is not a number`);
      return Number(t.text);
    };
    const base = { name: `${owner}.`, ...(ttl === undefined ? {} : { ttl }) };
    switch (type) {
      case 'A':
      case 'AAAA':
        need(1);
        records.push({ ...base, type, data: rdata[0]!.text });
        break;
      case 'TXT':
        if (rdata.length === 0) throw fail(source, line, 'TXT needs at least one string');
        records.push({ ...base, type, data: rdata.map((t) => t.text) });
        break;
      case 'SRV':
        need(4);
        records.push({ ...base, type, data: { priority: num(rdata[0]!), weight: num(rdata[1]!), port: num(rdata[2]!), target: nameOf(line, rdata[3]!.text) } });
        break;
      case 'TLSA': {
        if (rdata.length < 4) throw fail(source, line, 'TLSA needs usage, selector, matching type and certificate data');
        const hex = rdata.slice(3).map((t) => t.text).join('');
        if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw fail(source, line, 'TLSA certificate data must be hexadecimal');
        records.push({ ...base, type, data: { usage: num(rdata[0]!), selector: num(rdata[1]!), matchingType: num(rdata[2]!), certificate: Buffer.from(hex, 'hex') } });
        break;
      }
    }
  }
  return records.map((r) => (bound.has(r.name.slice(0, -1)) ? { ...r, tls: true } : r));
}

/** Reads and parses a zone file (see {@link parseZoneFile}). */
export async function loadZoneFile(file: string, domain: string): Promise<ZoneRecordInput[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DnsCtError(DnsCtErrorCode.ZoneFile, `cannot read zone file ${file}: ${(err as Error).message}; check the path in 'zone.file' or --zone`, { cause: err });
  }
  return parseZoneFile(text, domain, file);
}
