import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';
import { defineOperation, requestSchema } from '../operation.js';

const keyId = z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,62})$/, { message: 'must be 1-63 lower-case letters, digits, ".", "_" or "-"' });

/** `GET /v1/audit`. */
export const listAudit = defineOperation({
  id: 'audit.list',
  method: 'GET',
  path: '/v1/audit',
  grpcMethod: 'ListAudit',
  role: 'admin',
  mutating: false,
  summary: 'Audit entries of mutating calls, newest first (filters: who, operation)',
  input: requestSchema({
    query: { limit: z.coerce.number().int().min(1).max(10_000).default(100), who: z.string().optional(), operation: z.string().optional() },
  }),
  run: ({ query }, ctx) => ({ entries: ctx.audit.list(query) }),
});

/** `GET /v1/keys`. */
export const listKeys = defineOperation({
  id: 'keys.list',
  method: 'GET',
  path: '/v1/keys',
  grpcMethod: 'ListKeys',
  role: 'admin',
  mutating: false,
  summary: 'API keys (ids, roles, origin; never the secrets)',
  input: requestSchema({}),
  run: (_input, ctx) => ({ keys: ctx.keys.list() }),
});

/** `POST /v1/keys`. */
export const createKey = defineOperation({
  id: 'keys.create',
  method: 'POST',
  path: '/v1/keys',
  grpcMethod: 'CreateKey',
  role: 'admin',
  mutating: true,
  successStatus: 201,
  summary: 'Makes an API key; the secret is in this answer only',
  input: requestSchema({ body: z.strictObject({ id: keyId, role: z.enum(ROLES) }) }),
  target: ({ body }) => `key ${body.id} (${body.role})`,
  run: ({ body }, ctx) => ctx.keys.create(body.id, body.role, ctx.principal?.id ?? 'unknown', new Date(ctx.now())),
});

/** `DELETE /v1/keys/:id`. */
export const deleteKey = defineOperation({
  id: 'keys.delete',
  method: 'DELETE',
  path: '/v1/keys/:id',
  grpcMethod: 'DeleteKey',
  role: 'admin',
  mutating: true,
  summary: 'Deletes an API key made through the API',
  input: requestSchema({ params: { id: keyId } }),
  target: ({ params }) => `key ${params.id}`,
  run: async ({ params }, ctx) => {
    await ctx.keys.delete(params.id);
    return { deleted: params.id };
  },
});
