import tls from 'node:tls';
import type { ClockService } from '@hypermesh/runtime';

/** The certificate a service presented in its TLS handshake. */
export interface PresentedCertificate {
  /** The leaf, DER. */
  readonly certificate: Uint8Array;
  /** The rest of the chain as sent (issuer first), DER. */
  readonly chain: readonly Uint8Array[];
}

/**
 * Connects to `address:port` with TLS (SNI `servername`) and returns the certificate chain the
 * service presents, without judging it — the `certificates` service does that. Rejects when the
 * handshake fails or takes longer than `timeoutMs`.
 */
export function fetchCertificate(address: string, port: number, servername: string, timeoutMs: number, clock: ClockService): Promise<PresentedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: address, port, servername, rejectUnauthorized: false });
    const timer = clock.setTimeout(() => socket.destroy(new Error(`TLS handshake with ${address}:${port} took longer than ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => {
      clock.clearTimeout(timer);
      const leaf = socket.getPeerCertificate(true);
      socket.end();
      if (leaf === undefined || leaf.raw === undefined) {
        reject(new Error(`${address}:${port} presented no certificate`));
        return;
      }
      const chain: Uint8Array[] = [];
      const seen = new Set<string>([leaf.fingerprint256]);
      for (let c = leaf.issuerCertificate; c !== undefined && c.raw !== undefined && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(new Uint8Array(c.raw));
      }
      resolve({ certificate: new Uint8Array(leaf.raw), chain });
    });
    socket.once('error', (err) => {
      clock.clearTimeout(timer);
      reject(err);
    });
  });
}
