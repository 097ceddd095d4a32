/** The roles of the gateway's RBAC, least to most powerful. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/**
 * A caller's role: `viewer` reads; `operator` also deploys and removes workloads and edits DNS
 * records; `admin` also reads the audit log and manages API keys.
 */
export type Role = (typeof ROLES)[number];

/** True when `role` includes everything `required` may do. */
export function roleAllows(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Who is calling, once authenticated. */
export interface Principal {
  /** The API key id or the token's `sub`. */
  readonly id: string;
  readonly role: Role;
  /** How the caller authenticated. */
  readonly via: 'api-key' | 'jwt';
}
