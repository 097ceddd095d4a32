import { createKeyring, generateNodeKeys } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, NULL_BATCH, NULL_DIGEST, sha256 } from './batch.js';
import { Authenticator, isCanonicalPrePrepare, rebuildPrePrepare, signatureOf, SignatureCache, splitFrame, withAttachment } from './envelope.js';

const keys = generateNodeKeys(['a', 'b', 'c'], { seed: 'envelope' });
const publicKeys = { a: keys.a!.publicKey, b: keys.b!.publicKey };
const limits = { n: 4, window: 16, maxEntries: 16 };
const authA = new Authenticator(createKeyring({ nodeId: 'a', privateKey: keys.a!.privateKey, publicKeys }), limits);
const authB = new Authenticator(createKeyring({ nodeId: 'b', privateKey: keys.b!.privateKey, publicKeys }), limits);

describe('signed envelopes', () => {
  it('a sealed message opens on another node with the same content', () => {
    const envelope = authA.seal({ type: 'commit', from: 'a', view: 2, seq: 7, digest: NULL_DIGEST });
    const opened = authB.open(envelope);
    expect(opened).toMatchObject({ ok: true, message: { type: 'commit', from: 'a', view: 2, seq: 7, digest: NULL_DIGEST } });
  });

  it('refuses a flipped signature bit, a changed body, and a signer it has no key for', () => {
    const envelope = authA.seal({ type: 'checkpoint', from: 'a', seq: 8, digest: NULL_DIGEST });
    const forged = envelope.slice();
    forged[10]! ^= 1;
    expect(authB.open(forged)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const body = Buffer.from(envelope).toString('latin1').replace('"seq":8', '"seq":9');
    expect(authB.open(new Uint8Array(Buffer.from(body, 'latin1')))).toMatchObject({ ok: false, reason: 'bad-signature' });
    const authC = new Authenticator(createKeyring({ nodeId: 'c', privateKey: keys.c!.privateKey, publicKeys: { ...publicKeys, c: keys.c!.publicKey } }), limits);
    expect(authB.open(authC.seal({ type: 'checkpoint', from: 'c', seq: 8, digest: NULL_DIGEST }))).toMatchObject({ ok: false, reason: 'unknown-sender' });
  });

  it('refuses a message that claims another signer than the one who signed it', () => {
    // 'b' signs a body that says it comes from 'a'.
    const lying = authB.seal({ type: 'commit', from: 'a', view: 0, seq: 1, digest: NULL_DIGEST });
    const fresh = new Authenticator(createKeyring({ nodeId: 'a', privateKey: keys.a!.privateKey, publicKeys }), limits);
    expect(fresh.open(lying)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['an empty frame', new Uint8Array(0), 'shorter than'],
    ['a wrong magic byte', new Uint8Array(80).fill(1), 'magic'],
    ['a body running past the end', Uint8Array.from([0xb7, 1, ...new Array(64).fill(0), 0, 0, 1, 0, 1, 2]), 'runs past'],
  ])('calls %s malformed', (_, bytes, why) => {
    const opened = authB.open(bytes);
    expect(opened.ok).toBe(false);
    if (!opened.ok) {
      expect(opened.reason).toBe('malformed');
      expect(opened.detail).toContain(why);
    }
  });

  it('calls a signed body that is not a valid message malformed', () => {
    for (const body of [{ type: 'commit', from: 'a', view: -1, seq: 1, digest: NULL_DIGEST }, { type: 'nope', from: 'a' }, { type: 'request', from: 'a', requests: [] }]) {
      const envelope = authA.seal(body as never);
      const fresh = new Authenticator(createKeyring({ nodeId: 'b', privateKey: keys.b!.privateKey, publicKeys }), limits);
      expect(fresh.open(envelope)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('keeps the attachment out of the signature, and rebuilds a PRE-PREPARE from its signature', () => {
    const pp = { type: 'pre-prepare' as const, from: 'a', view: 1, seq: 3, digest: sha256(NULL_BATCH) };
    const envelope = authA.seal(pp);
    const frame = withAttachment(envelope, NULL_BATCH);
    const opened = authB.open(frame);
    expect(opened.ok && Buffer.compare(opened.attachment, NULL_BATCH)).toBe(0);
    expect(isCanonicalPrePrepare(envelope, pp)).toBe(true);
    expect(Buffer.compare(rebuildPrePrepare(pp, signatureOf(envelope)), envelope)).toBe(0);
    const parts = splitFrame(frame);
    expect(typeof parts !== 'string' && parts.envelope.byteLength).toBe(envelope.byteLength);
  });

  it('a shared cache skips verification only for the same key, body and signature', () => {
    const shared = new SignatureCache();
    const keyringB = createKeyring({ nodeId: 'b', privateKey: keys.b!.privateKey, publicKeys });
    let verified = 0;
    const counting = { ...keyringB, verify: (...args: Parameters<typeof keyringB.verify>) => (verified++, keyringB.verify(...args)) };
    const one = new Authenticator(counting, limits, shared);
    const two = new Authenticator(counting, limits, shared);
    const envelope = authA.seal({ type: 'commit', from: 'a', view: 0, seq: 1, digest: NULL_DIGEST });
    expect(one.open(envelope).ok).toBe(true);
    expect(two.open(envelope).ok).toBe(true);
    expect(verified).toBe(1);
    // A node that holds another key for 'a' does not trust the cached verdict.
    const other = generateNodeKeys(['a'], { seed: 'other' });
    const three = new Authenticator(createKeyring({ nodeId: 'b', privateKey: keys.b!.privateKey, publicKeys: { ...publicKeys, a: other.a!.publicKey } }), limits, shared);
    expect(three.open(envelope)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('batch bodies', () => {
  it('round-trip with requests and rejections, and hash the same on every encode', () => {
    const bundle = authA.seal({ type: 'request', from: 'a', requests: [{ client: 'a/0', timestamp: 5, namespace: 'kv', operation: { op: 'get', key: 'x' } }] });
    const body = { timestamp: 1234.5, bundles: [bundle], rejections: [{ bundle: 0, index: 0, code: 'E_CONSENSUS_INVALID', message: 'no' }] };
    const bytes = encodeBatch(body);
    const decoded = decodeBatch(bytes);
    expect(decoded).toEqual({ ...body, bundles: [new Uint8Array(bundle)] });
    expect(sha256(encodeBatch(body))).toBe(sha256(bytes));
  });

  it('refuses truncated, trailing and out-of-range bodies', () => {
    const bytes = encodeBatch({ timestamp: 1, bundles: [new Uint8Array([1, 2, 3])], rejections: [] });
    expect(decodeBatch(bytes.subarray(0, bytes.byteLength - 2))).toMatch(/ends|past|rejection count/);
    expect(decodeBatch(new Uint8Array([...bytes, 0]))).toMatch(/trailing/);
    expect(decodeBatch(encodeBatch({ timestamp: 1, bundles: [], rejections: [{ bundle: 3, index: 0, code: 'x', message: '' }] }))).toMatch(/names request envelope 3/);
  });
});
