import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { buildCertificate } from '../x509/build-certificate.js';
import { encodeSct, encodeSctList, type SignedCertificateTimestamp } from './sct.js';

/** A CA made for a test or the benchmark: its name, keys and certificate. */
export interface TestCa {
  readonly subject: Readonly<Record<string, string>>;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly der: Uint8Array;
}

const DAY = 86_400_000;

/** A self-signed P-256 CA valid around `now`. */
export function makeCa(name: string, now: number): TestCa {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const subject = { CN: name, O: `${name} Org` };
  const der = buildCertificate({ subject, publicKey, signingKey: privateKey, notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY), ca: true, keyUsage: ['keyCertSign', 'cRLSign'] });
  return { subject, privateKey, publicKey, der };
}

/** A leaf (or its precertificate) for `names`, issued by `ca`, valid for `days` from a day before `now`. */
export function makeLeaf(
  ca: TestCa,
  names: readonly string[],
  now: number,
  options: { serialNumber?: number; days?: number; poison?: boolean; scts?: readonly SignedCertificateTimestamp[]; publicKey?: KeyObject; commonName?: string } = {},
): Uint8Array {
  const publicKey = options.publicKey ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
  return buildCertificate({
    subject: { CN: options.commonName ?? names[0]! },
    publicKey,
    issuer: { subject: ca.subject, privateKey: ca.privateKey },
    serialNumber: options.serialNumber ?? 7,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now - DAY + (options.days ?? 90) * DAY),
    subjectAltNames: names,
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['1.3.6.1.5.5.7.3.1'],
    ...(options.poison === true ? { poison: true } : {}),
    ...(options.scts === undefined ? {} : { sctList: encodeSctList(options.scts.map(encodeSct)) }),
  });
}
