import { canonicalJsonBytes, type JsonValue, type ReplicatedStateMachine, type ValidationVerdict } from '@hypermesh/runtime';
import { toZoneEntry, type ZoneEntry, type ZoneRecordType } from './zone-records.js';
import type { ZoneStore } from './zone-store.js';

/** The namespace of the zone's replicated state machine. */
export const ZONE_NAMESPACE = 'dns.records';

/** A change to the zone, as it is ordered by consensus. */
export type ZoneOperation =
  | { readonly op: 'upsert'; readonly records: readonly ZoneEntry[] }
  | { readonly op: 'remove'; readonly name: string; readonly type?: ZoneRecordType };

/** What applying a zone change returns: the zone's serial after it. */
export interface ZoneChangeResult {
  readonly serial: number;
  [key: string]: JsonValue;
}

const TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'SRV', 'TXT', 'TLSA']);

/** Checks an operation from the wire: well-formed, and every record already in replicated form. */
export function checkZoneOperation(op: unknown, store: ZoneStore): ValidationVerdict {
  const o = op as ZoneOperation;
  if (o?.op === 'remove') {
    if (typeof o.name !== 'string' || (o.type !== undefined && !TYPES.has(o.type))) return { valid: false, reason: 'remove needs a name and an optional zone type' };
    return { valid: true };
  }
  if (o?.op !== 'upsert' || !Array.isArray(o.records)) return { valid: false, reason: "operation is neither 'upsert' nor 'remove'" };
  for (const entry of o.records) {
    try {
      const again = toZoneEntry(
        { ...entry, data: entry?.type === 'TLSA' ? { ...entry.data } : (entry?.data as never) } as never,
        store.apex.domain,
        store.apex.defaultTtl,
      );
      if (JSON.stringify(again) !== JSON.stringify(entry)) return { valid: false, reason: `record for '${entry.name}' is not in canonical form` };
    } catch (err) {
      return { valid: false, reason: (err as Error).message };
    }
  }
  return { valid: true };
}

/**
 * The `dns.records` state machine: every replica applies the same zone changes in the same order,
 * so every node answers the service-discovery zone identically. Deterministic: the result depends
 * only on the store and the operation.
 */
export function createZoneMachine(store: ZoneStore): ReplicatedStateMachine<JsonValue, ZoneChangeResult> {
  return {
    validate: (op) => checkZoneOperation(op, store),
    apply(op) {
      const o = op as unknown as ZoneOperation;
      if (o.op === 'upsert') store.upsert(o.records);
      else store.remove(o.name, o.type);
      return { serial: store.serial };
    },
    snapshot: () => canonicalJsonBytes({ serial: store.serial, entries: store.entries() as unknown as JsonValue }),
    restore(snapshot) {
      const state = JSON.parse(new TextDecoder().decode(snapshot)) as { serial: number; entries: ZoneEntry[] };
      store.replace(state.entries, state.serial);
    },
  };
}
