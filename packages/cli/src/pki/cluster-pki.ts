/** A node's TLS certificate and key (PEM). */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A cluster certificate authority as `@hypermesh/plugin-grpc` makes it (`createClusterCa`). */
export interface ClusterAuthority {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  issueNodeCertificate(nodeId: string, options?: { readonly hosts?: readonly string[] }): IssuedCertificate;
}

/** Makes a cluster CA. */
export type ClusterAuthorityFactory = (options: { readonly name?: string }) => ClusterAuthority;

/**
 * The CA helper of `@hypermesh/plugin-grpc` (the transport that uses the certificates), or the
 * reason it is unavailable. Imported at run time, so `init` still writes the rest of the cluster
 * directory where the plugin is not installed.
 */
export async function loadClusterAuthorityFactory(): Promise<{ factory: ClusterAuthorityFactory } | { unavailable: string }> {
  const specifier = '@hypermesh/plugin-grpc';
  try {
    const mod = (await import(specifier)) as { createClusterCa?: unknown };
    if (typeof mod.createClusterCa !== 'function') return { unavailable: `${specifier} does not export createClusterCa` };
    return { factory: mod.createClusterCa as ClusterAuthorityFactory };
  } catch (err) {
    return { unavailable: `${specifier} is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}
