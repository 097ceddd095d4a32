import { describe, expect, it } from 'vitest';
import { createKeyring, generateNodeKeys } from './ed25519-keyring.js';

describe('Ed25519 keyring', () => {
  const keys = generateNodeKeys(['a', 'b'], { seed: 'test' });
  const publicKeys = { a: keys.a!.publicKey, b: keys.b!.publicKey };
  const a = createKeyring({ nodeId: 'a', privateKey: keys.a!.privateKey, publicKeys });
  const b = createKeyring({ nodeId: 'b', privateKey: keys.b!.privateKey, publicKeys });
  const message = new TextEncoder().encode('PRE-PREPARE v=0 n=1');

  it('signs and verifies across nodes; tampering and wrong signers fail', () => {
    const sig = a.sign(message);
    expect(sig.byteLength).toBe(64);
    expect(b.verify('a', message, sig)).toBe(true);
    expect(b.verify('b', message, sig)).toBe(false);
    const tampered = message.slice();
    tampered[0]! ^= 1;
    expect(b.verify('a', tampered, sig)).toBe(false);
    expect(b.verify('nobody', message, sig)).toBe(false);
    expect(b.verify('a', message, sig.subarray(0, 10))).toBe(false);
  });

  it('derives the same keys from the same seed, different ones otherwise', () => {
    expect(generateNodeKeys(['a'], { seed: 'test' }).a!.publicKey).toEqual(keys.a!.publicKey);
    expect(generateNodeKeys(['a'], { seed: 'other' }).a!.publicKey).not.toEqual(keys.a!.publicKey);
    expect(generateNodeKeys(['a']).a!.publicKey).toHaveLength(32);
  });

  it('refuses a public key that does not match the private key', () => {
    expect(() => createKeyring({ nodeId: 'a', privateKey: keys.a!.privateKey, publicKeys: { a: keys.b!.publicKey } })).toThrowError(
      /does not match its private key/,
    );
    expect(a.knownNodes()).toEqual(['a', 'b']);
  });
});
