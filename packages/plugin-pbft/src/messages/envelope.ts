/**
 * Signed envelopes. A frame on the wire is
 *
 *     0xB7 | version 1 | Ed25519 signature (64) | body length (u32 BE) | body (UTF-8 JSON) | attachment
 *
 * The signature covers a domain tag and the body; the attachment (a batch body, a snapshot chunk)
 * is bound to the body by a digest the body carries. The "envelope" is the frame without its
 * attachment: that is what certificates embed (base64), so anyone can verify them again.
 */
import type { KeysService } from '@hypermesh/runtime';
import { parseMessage, type ParseLimits } from './parse.js';
import type { PbftMessage, PrePrepareMessage } from './types.js';

const MAGIC = 0xb7;
const VERSION = 1;
const SIGNATURE_BYTES = 64;
const HEADER_BYTES = 2 + SIGNATURE_BYTES + 4;
const DOMAIN = Buffer.from('hypermesh-pbft/1\n', 'utf8');

/** Why a frame was not accepted. */
export type RejectReason = 'malformed' | 'bad-signature' | 'unknown-sender';

/** A verified message with its envelope and attachment. */
export interface Opened<M extends PbftMessage = PbftMessage> {
  readonly ok: true;
  readonly message: M;
  /** The signed envelope (frame without attachment). */
  readonly envelope: Uint8Array;
  readonly attachment: Uint8Array;
}

/** A decoded frame whose signature may not be checked yet (see {@link Authenticator.verify}). */
export interface Decoded extends Opened {
  /** True once the signature verified (or the cache vouched for it). */
  verified: boolean;
  /** @internal */
  readonly key: string;
  /** @internal */
  readonly parts: { readonly signature: Uint8Array; readonly body: Uint8Array };
}

/** A refused frame. */
export interface Refused {
  readonly ok: false;
  readonly reason: RejectReason;
  /** A sentence for the log. */
  readonly detail: string;
}

interface CacheEntry {
  readonly body: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly message: PbftMessage;
}

/**
 * Envelopes whose signatures verified, by signature, with the signer's public key and the
 * parsed message. Verification is a pure function of (public key, body, signature), so nodes of
 * one process that share a cache (a simulation) verify each message once, not once per node.
 */
export class SignatureCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly capacity = 20_000) {}

  /** The entry for this signature if its body and signer key match. */
  lookup(signature: string, body: Uint8Array, keyOf: (nodeId: string) => Uint8Array | undefined): PbftMessage | undefined {
    const e = this.entries.get(signature);
    if (e === undefined || Buffer.compare(e.body, body) !== 0) return undefined;
    const key = keyOf(e.message.from);
    return key !== undefined && Buffer.compare(key, e.publicKey) === 0 ? e.message : undefined;
  }

  /** Remembers a verified envelope. */
  remember(signature: string, body: Uint8Array, publicKey: Uint8Array, message: PbftMessage): void {
    if (this.entries.size >= this.capacity) {
      // Drop the oldest quarter: insertion order is age.
      let drop = this.capacity >> 2;
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--drop <= 0) break;
      }
    }
    this.entries.set(signature, { body: new Uint8Array(body), publicKey, message });
  }
}

/** Splits a frame into its parts, or says why it cannot be one. */
export function splitFrame(bytes: Uint8Array): { signature: Uint8Array; body: Uint8Array; envelope: Uint8Array; attachment: Uint8Array } | string {
  if (bytes.byteLength < HEADER_BYTES) return `frame of ${bytes.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte header`;
  if (bytes[0] !== MAGIC) return 'frame does not start with the PBFT magic byte';
  if (bytes[1] !== VERSION) return `frame version ${bytes[1]} is not supported (this replica speaks version ${VERSION})`;
  const length = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(2 + SIGNATURE_BYTES);
  const end = HEADER_BYTES + length;
  if (end > bytes.byteLength) return `frame body length ${length} runs past the end of the frame`;
  return {
    signature: bytes.subarray(2, 2 + SIGNATURE_BYTES),
    body: bytes.subarray(HEADER_BYTES, end),
    envelope: bytes.subarray(0, end),
    attachment: bytes.subarray(end),
  };
}

function assemble(signature: Uint8Array, body: Uint8Array): Uint8Array {
  const envelope = Buffer.allocUnsafe(HEADER_BYTES + body.byteLength);
  envelope[0] = MAGIC;
  envelope[1] = VERSION;
  envelope.set(signature, 2);
  envelope.writeUInt32BE(body.byteLength, 2 + SIGNATURE_BYTES);
  envelope.set(body, HEADER_BYTES);
  return new Uint8Array(envelope.buffer, envelope.byteOffset, envelope.byteLength);
}

/** The canonical body of a PRE-PREPARE: the only encoding replicas accept. */
export function prePrepareBody(m: Pick<PrePrepareMessage, 'from' | 'view' | 'seq' | 'digest'>): Buffer {
  return Buffer.from(JSON.stringify({ type: 'pre-prepare', from: m.from, view: m.view, seq: m.seq, digest: m.digest }), 'utf8');
}

/** Rebuilds a signed PRE-PREPARE envelope from its fields and the primary's signature. */
export function rebuildPrePrepare(m: Pick<PrePrepareMessage, 'from' | 'view' | 'seq' | 'digest'>, signature: Uint8Array): Uint8Array {
  return assemble(signature, prePrepareBody(m));
}

/** True when a PRE-PREPARE envelope carries the canonical body of its message. */
export function isCanonicalPrePrepare(envelope: Uint8Array, m: PrePrepareMessage): boolean {
  const body = prePrepareBody(m);
  return envelope.byteLength === HEADER_BYTES + body.byteLength && Buffer.compare(envelope.subarray(HEADER_BYTES), body) === 0;
}

/** The signature inside an envelope. */
export function signatureOf(envelope: Uint8Array): Uint8Array {
  return envelope.subarray(2, 2 + SIGNATURE_BYTES);
}

/** Joins an envelope and an attachment into a frame. */
export function withAttachment(envelope: Uint8Array, attachment: Uint8Array): Uint8Array {
  if (attachment.byteLength === 0) return envelope;
  const frame = new Uint8Array(envelope.byteLength + attachment.byteLength);
  frame.set(envelope, 0);
  frame.set(attachment, envelope.byteLength);
  return frame;
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text: string): Uint8Array => {
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

export { fromBase64, toBase64 };

/**
 * Signs outgoing messages with this node's key and opens incoming ones: frame, JSON, shape, known
 * sender, signature — in that order, cheapest first. Verified envelopes are remembered (by
 * signature and body), so a certificate that embeds messages already seen costs no new verification.
 */
export class Authenticator {
  constructor(
    private readonly keys: KeysService,
    private readonly limits: ParseLimits,
    private readonly cache: SignatureCache = new SignatureCache(),
  ) {}

  /** Signs a message; returns the envelope. */
  seal(message: PbftMessage): Uint8Array {
    const body = message.type === 'pre-prepare' ? prePrepareBody(message) : Buffer.from(JSON.stringify(message), 'utf8');
    const signature = this.keys.sign(Buffer.concat([DOMAIN, body]));
    const publicKey = this.keys.publicKey(this.keys.nodeId);
    if (publicKey !== undefined) this.cache.remember(toBase64(signature), body, publicKey, message);
    return assemble(signature, body);
  }

  /**
   * Decodes a frame (frame, JSON, shape, known signer) without checking the signature unless the
   * cache already vouches for it. Nothing may act on a decoded message before {@link verify}.
   */
  decode(bytes: Uint8Array): Decoded | Refused {
    const parts = splitFrame(bytes);
    if (typeof parts === 'string') return { ok: false, reason: 'malformed', detail: parts };
    const key = toBase64(parts.signature);
    const cached = this.cache.lookup(key, parts.body, (id) => this.keys.publicKey(id));
    if (cached !== undefined) return { ok: true, message: cached, envelope: parts.envelope, attachment: parts.attachment, verified: true, key, parts };
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(parts.body.buffer, parts.body.byteOffset, parts.body.byteLength).toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed', detail: 'body is not valid JSON' };
    }
    const message = parseMessage(json, this.limits);
    if (typeof message === 'string') return { ok: false, reason: 'malformed', detail: message };
    if (this.keys.publicKey(message.from) === undefined) {
      return { ok: false, reason: 'unknown-sender', detail: `signer '${message.from.slice(0, 64)}' has no known public key` };
    }
    return { ok: true, message, envelope: parts.envelope, attachment: parts.attachment, verified: false, key, parts };
  }

  /** Checks a decoded message's signature; returns the refusal, or `undefined` when it verifies. */
  verify(decoded: Decoded): Refused | undefined {
    if (decoded.verified) return undefined;
    const { message, parts, key } = decoded;
    const publicKey = this.keys.publicKey(message.from);
    if (publicKey === undefined || !this.keys.verify(message.from, Buffer.concat([DOMAIN, parts.body]), parts.signature)) {
      return { ok: false, reason: 'bad-signature', detail: `${message.type} signed as '${message.from}' does not verify` };
    }
    this.cache.remember(key, parts.body, publicKey, message);
    decoded.verified = true;
    return undefined;
  }

  /** Opens a frame received from the network: decode, then verify. */
  open(bytes: Uint8Array): Opened | Refused {
    const decoded = this.decode(bytes);
    if (!decoded.ok) return decoded;
    return this.verify(decoded) ?? decoded;
  }

  /** Opens an embedded envelope (base64, no attachment), optionally requiring a type. */
  openEmbedded<T extends PbftMessage['type']>(b64: string, type: T): Opened<Extract<PbftMessage, { type: T }>> | Refused {
    const opened = this.open(fromBase64(b64));
    if (!opened.ok) return opened;
    if (opened.attachment.byteLength !== 0) return { ok: false, reason: 'malformed', detail: `embedded ${type} carries an attachment` };
    if (opened.message.type !== type) return { ok: false, reason: 'malformed', detail: `embedded message is a ${opened.message.type}, not a ${type}` };
    return opened as Opened<Extract<PbftMessage, { type: T }>>;
  }
}
