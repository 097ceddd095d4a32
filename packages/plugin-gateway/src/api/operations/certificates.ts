import { certificatesRef } from '@hypermesh/runtime';
import { z } from 'zod';
import { defineOperation, requestSchema } from '../operation.js';

const pem = z.string().regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, { message: 'must be a PEM certificate' });

/** `POST /v1/certificates/verify`. */
export const verifyCertificate = defineOperation({
  id: 'certificates.verify',
  method: 'POST',
  path: '/v1/certificates/verify',
  grpcMethod: 'VerifyCertificate',
  role: 'viewer',
  mutating: false,
  summary: 'X.509 path validation and Certificate Transparency policy for a PEM certificate (what `hypermesh ct verify` shows)',
  input: requestSchema({
    body: z.strictObject({
      certificate: pem,
      /** Intermediates (issuer first), PEM. */
      chain: z.array(pem).max(10).optional(),
      hostname: z.string().min(1).max(253).optional(),
      /** Check validity at this time instead of now (ISO 8601). */
      at: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
    }),
  }),
  run: ({ body }, ctx) => ctx.service(certificatesRef).verify(body),
});
