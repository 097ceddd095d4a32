import { createServiceRef } from '@hypermesh/runtime';
import type { AuditEntry, AuditQuery } from './audit/audit-log.js';

/** What the gateway offers the integrator and other plugins once it listens. */
export interface GatewayService {
  /** Base URL of the REST API (`http://127.0.0.1:8080`), once the node started; the bound port when 0 was asked. */
  url(): string | undefined;
  /** HOST:PORT of the gRPC API, once started and when enabled. */
  grpcAddress(): string | undefined;
  /** Recent audit entries, newest first. */
  audit(query: AuditQuery): AuditEntry[];
}

/** The `gateway` service. */
export const gatewayRef = createServiceRef<GatewayService>({
  id: 'gateway',
  version: '1.0.0',
  description: 'The API gateway: its addresses and audit log',
});
