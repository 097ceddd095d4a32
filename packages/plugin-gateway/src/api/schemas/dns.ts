import { isIPv4, isIPv6 } from 'node:net';
import type { ZoneRecordInput } from '@hypermesh/runtime';
import { z } from 'zod';
import { domainName } from './names.js';

const ttl = z.number().int().min(0).max(2_147_483_647).optional();
const tls = z.boolean().optional();
const uint16 = z.number().int().min(0).max(65535);
const uint8 = z.number().int().min(0).max(255);

/** A record to publish in the zone (the runtime's `ZoneRecordInput`), checked per type. */
export const zoneRecordSchema = z.discriminatedUnion('type', [
  z.strictObject({ name: domainName, type: z.literal('A'), ttl, tls, data: z.string().refine(isIPv4, { message: 'must be an IPv4 address' }) }),
  z.strictObject({ name: domainName, type: z.literal('AAAA'), ttl, tls, data: z.string().refine(isIPv6, { message: 'must be an IPv6 address' }) }),
  z.strictObject({
    name: domainName,
    type: z.literal('SRV'),
    ttl,
    tls,
    data: z.strictObject({ priority: uint16, weight: uint16, port: uint16, target: domainName }),
  }),
  z.strictObject({
    name: domainName,
    type: z.literal('TXT'),
    ttl,
    tls,
    data: z.union([z.string().max(255), z.array(z.string().max(255, { message: 'a TXT string holds at most 255 characters' })).min(1)]),
  }),
  z.strictObject({
    name: domainName,
    type: z.literal('TLSA'),
    ttl,
    tls,
    data: z.strictObject({
      usage: uint8,
      selector: uint8,
      matchingType: uint8,
      /** Certificate association data as hex (RFC 6698 §2.2 presentation format). */
      certificate: z
        .string()
        .regex(/^([0-9a-fA-F]{2})+$/, { message: 'must be hex' })
        .transform((hex) => new Uint8Array(Buffer.from(hex, 'hex'))),
    }),
  }),
]);

// The parsed record is exactly what the resolver contract takes.
const _conforms = (record: z.output<typeof zoneRecordSchema>): ZoneRecordInput => record;
void _conforms;

/** A record type in a query: a known mnemonic or `TYPE<n>` (RFC 3597). */
export const recordTypeQuery = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(
    z
      .string()
      .regex(/^(A|AAAA|CNAME|NS|SOA|PTR|MX|TXT|SRV|CAA|TLSA|HTTPS|SVCB|NULL|ANY|TYPE\d{1,5})$/, {
        message: 'must be a record type such as A, AAAA, SRV, TXT or TYPE65',
      }),
  );
