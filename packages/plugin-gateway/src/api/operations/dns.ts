import { resolverRef, type DnsRecordType, type ZoneRecordInput } from '@hypermesh/runtime';
import { z } from 'zod';
import { defineOperation, requestSchema } from '../operation.js';
import { recordTypeQuery, zoneRecordSchema } from '../schemas/dns.js';
import { domainName } from '../schemas/names.js';

const zoneType = z.enum(['A', 'AAAA', 'SRV', 'TXT', 'TLSA']);

/** `GET /v1/dns/records`. */
export const listRecords = defineOperation({
  id: 'dns.records.list',
  method: 'GET',
  path: '/v1/dns/records',
  grpcMethod: 'ListDnsRecords',
  role: 'viewer',
  mutating: false,
  summary: "The service-discovery zone's records, optionally only one name and/or type",
  input: requestSchema({ query: { name: domainName.optional(), type: recordTypeQuery.optional() } }),
  run: ({ query }, ctx) => {
    const zone = ctx.service(resolverRef).zone;
    const records = zone.list().filter((r) => (query.name === undefined || r.name === query.name) && (query.type === undefined || r.type === query.type));
    return { domain: zone.domain, records };
  },
});

/** `POST /v1/dns/records`. */
export const upsertRecords = defineOperation({
  id: 'dns.records.upsert',
  method: 'POST',
  path: '/v1/dns/records',
  grpcMethod: 'UpsertDnsRecords',
  role: 'operator',
  mutating: true,
  summary: 'Adds or replaces zone records (same name and type replace)',
  input: requestSchema({ body: z.strictObject({ records: z.array(zoneRecordSchema).min(1).max(1000) }) }),
  target: ({ body }) => [...new Set(body.records.map((r) => `${r.name} ${r.type}`))].join(', '),
  run: async ({ body }, ctx) => {
    const records: ZoneRecordInput[] = body.records;
    await ctx.service(resolverRef).zone.upsert(records);
    return { upserted: records.length };
  },
});

/** `DELETE /v1/dns/records/:name`. */
export const removeRecords = defineOperation({
  id: 'dns.records.remove',
  method: 'DELETE',
  path: '/v1/dns/records/:name',
  grpcMethod: 'RemoveDnsRecords',
  role: 'operator',
  mutating: true,
  summary: 'Removes the records of a name, or only those of one type (`?type=`)',
  input: requestSchema({ params: { name: domainName }, query: { type: zoneType.optional() } }),
  target: ({ params, query }) => (query.type === undefined ? params.name : `${params.name} ${query.type}`),
  run: async ({ params, query }, ctx) => {
    await ctx.service(resolverRef).zone.remove(params.name, query.type);
    return { removed: { name: params.name, type: query.type ?? 'all' } };
  },
});

/** `GET /v1/dns/lookup`. */
export const lookup = defineOperation({
  id: 'dns.lookup',
  method: 'GET',
  path: '/v1/dns/lookup',
  grpcMethod: 'LookupDns',
  role: 'viewer',
  mutating: false,
  summary: 'Resolves a name through the resolver chain (what `hypermesh dig` shows)',
  input: requestSchema({ query: { name: domainName, type: recordTypeQuery.default('A') } }),
  run: ({ query }, ctx) => ctx.service(resolverRef).resolve({ name: query.name, type: query.type as DnsRecordType }, { client: 'api' }),
});

/** `GET /v1/dns/stats`. */
export const dnsStats = defineOperation({
  id: 'dns.stats',
  method: 'GET',
  path: '/v1/dns/stats',
  grpcMethod: 'GetDnsStats',
  role: 'viewer',
  mutating: false,
  summary: 'Resolver counters: queries, cache hits and misses, hit rate',
  input: requestSchema({}),
  run: (_input, ctx) => {
    const resolver = ctx.service(resolverRef);
    return { domain: resolver.zone.domain, records: resolver.zone.list().length, ...resolver.stats() };
  },
});
