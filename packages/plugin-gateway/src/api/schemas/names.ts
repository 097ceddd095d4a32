import { z } from 'zod';

/** A DNS label (RFC 1123): workload names, namespaces. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be a DNS label: 1-63 lower-case letters, digits and -, not starting or ending with -' });

/** A domain name, absolute or relative, with or without a trailing dot; stored lower-case without it. */
export const domainName = z
  .string()
  .max(254)
  .transform((s) => s.toLowerCase().replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .regex(/^(\*\.)?(_?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*_?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
        message: 'must be a domain name such as echo.svc.hypermesh.local',
      }),
  );

/** `?limit=` for lists: 1..1000, default 50. */
export const limitQuery = z.coerce.number().int().min(1).max(1000).default(50);
