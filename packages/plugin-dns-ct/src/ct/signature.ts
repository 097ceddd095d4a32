import { sign, verify, type KeyObject } from 'node:crypto';
import { HashAlgorithm, SignatureAlgorithm, type DigitallySigned } from './sct.js';

/** Key types by key: reading `asymmetricKeyType` crosses into C++ on every call. */
const keyTypes = new WeakMap<KeyObject, string>();

/**
 * Checks a `digitally-signed` struct made by a CT log (RFC 6962 §2.1.4: SHA-256 with ECDSA or
 * RSA PKCS#1 v1.5). Returns `undefined` when it verifies, otherwise why not.
 */
export function checkDigitallySigned(publicKey: KeyObject, data: Uint8Array, signed: DigitallySigned): string | undefined {
  if (signed.hashAlgorithm !== HashAlgorithm.sha256) return `hash algorithm ${signed.hashAlgorithm} is not SHA-256`;
  let keyType = keyTypes.get(publicKey);
  if (keyType === undefined) keyTypes.set(publicKey, (keyType = publicKey.asymmetricKeyType ?? 'unknown'));
  const expected = keyType === 'ec' ? SignatureAlgorithm.ecdsa : keyType === 'rsa' ? SignatureAlgorithm.rsa : undefined;
  if (signed.signatureAlgorithm !== expected) {
    return `signature algorithm ${signed.signatureAlgorithm} does not match the log's ${keyType} key`;
  }
  try {
    return verify('sha256', data, publicKey, signed.signature) ? undefined : 'bad signature';
  } catch (err) {
    return `bad signature (${(err as Error).message})`;
  }
}

/** Signs `data` as a log does: SHA-256 with the log's ECDSA or RSA key. */
export function signDigitally(privateKey: KeyObject, data: Uint8Array): DigitallySigned {
  const signatureAlgorithm = privateKey.asymmetricKeyType === 'rsa' ? SignatureAlgorithm.rsa : SignatureAlgorithm.ecdsa;
  return { hashAlgorithm: HashAlgorithm.sha256, signatureAlgorithm, signature: new Uint8Array(sign('sha256', data, privateKey)) };
}
