/** A listen address split into host and port (`[::1]:8080` → `::1`, 8080). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

/** Formats host and port for a URL or a gRPC target (`[::1]:8080` for IPv6). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
