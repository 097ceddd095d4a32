/**
 * Byzantine replica behaviours for simulations. A faulty replica runs the real plugin; its
 * transport is wrapped so that what it sends is silenced, forged, rewritten, re-signed, delayed or
 * replayed — exactly what a compromised node holding its own key could do on the wire.
 */
import type { ClockService, KeysService, PeerStatus, Random, TransportMessageHandler, TransportService } from '@hypermesh/runtime';
import { decodeBatch, encodeBatch, sha256 } from '../messages/batch.js';
import { Authenticator, splitFrame, withAttachment, type SignatureCache } from '../messages/envelope.js';
import type { PbftMessage } from '../messages/types.js';
import { CHANNEL } from '../replica/replica.js';

/** The behaviours a simulated replica can be switched to. */
export type ByzantineBehaviour = 'silent' | 'equivocate' | 'badDigest' | 'forgeSignature' | 'replayOld' | 'slowPrimary' | 'wrongView';

/** Every behaviour, for tests that go through them all. */
export const BYZANTINE_BEHAVIOURS: readonly ByzantineBehaviour[] = ['silent', 'equivocate', 'badDigest', 'forgeSignature', 'replayOld', 'slowPrimary', 'wrongView'];

/** What a behaviour needs besides the honest transport. */
export interface ByzantineContext {
  readonly keys: KeysService;
  readonly clock: ClockService;
  readonly random: Random;
  /** The replica group (replica-index order). */
  readonly replicas: readonly string[];
  /** How long `slowPrimary` holds each PRE-PREPARE back (ms). */
  readonly slowDelayMs: number;
  /** The cluster's shared verification cache, if any. */
  readonly signatureCache?: SignatureCache;
}

const REPLAY_MEMORY = 256;

/** Wraps a transport so the node behaves as `behaviour` on the wire. */
export function byzantineTransport(inner: TransportService, behaviour: ByzantineBehaviour, ctx: ByzantineContext): TransportService {
  const auth = new Authenticator(ctx.keys, { n: ctx.replicas.length, window: 1_000_000, maxEntries: 1_000_000 }, ctx.signatureCache);
  const memory: Uint8Array[] = [];
  const remember = (frame: Uint8Array) => {
    if (memory.length >= REPLAY_MEMORY) memory.splice(ctx.random.int(memory.length), 1);
    memory.push(frame.slice());
  };
  const alternatives = new Map<string, Uint8Array>();
  const randomDigest = () => sha256(new Uint8Array(Array.from({ length: 16 }, () => ctx.random.int(256))));

  const decode = (frame: Uint8Array): { message: PbftMessage; attachment: Uint8Array } | undefined => {
    const parts = splitFrame(frame);
    if (typeof parts === 'string') return undefined;
    try {
      return { message: JSON.parse(Buffer.from(parts.body).toString('utf8')) as PbftMessage, attachment: parts.attachment };
    } catch {
      return undefined;
    }
  };
  const reseal = (message: PbftMessage, attachment: Uint8Array) => withAttachment(auth.seal(message), attachment);

  /** The frame this node sends to `to` instead of `frame`, or undefined to send nothing. */
  function rewrite(to: string, frame: Uint8Array): Uint8Array | undefined {
    const decoded = decode(frame);
    if (decoded === undefined) return frame;
    const { message: m, attachment } = decoded;
    switch (behaviour) {
      case 'silent':
        return undefined;
      case 'forgeSignature': {
        const forged = frame.slice();
        forged[2 + ctx.random.int(64)]! ^= 1 + ctx.random.int(255);
        return forged;
      }
      case 'badDigest':
        if (m.type === 'pre-prepare' || m.type === 'prepare' || m.type === 'commit' || m.type === 'checkpoint') return reseal({ ...m, digest: randomDigest() }, attachment);
        return frame;
      case 'wrongView':
        if (m.type === 'pre-prepare' || m.type === 'prepare' || m.type === 'commit') return reseal({ ...m, view: m.view + 1 + ctx.random.int(3) }, attachment);
        return frame;
      case 'equivocate': {
        // Half of the backups get another batch for the same (view, seq): same requests, another timestamp.
        if (m.type !== 'pre-prepare' || attachment.byteLength === 0 || ctx.replicas.indexOf(to) % 2 === 0) return frame;
        const key = `${m.view}:${m.seq}`;
        let alt = alternatives.get(key);
        if (alt === undefined) {
          const body = decodeBatch(attachment);
          if (typeof body === 'string') return frame;
          const other = encodeBatch({ ...body, timestamp: body.timestamp + 1 });
          alt = reseal({ ...m, digest: sha256(other) }, other);
          alternatives.set(key, alt);
          if (alternatives.size > 1024) alternatives.delete(alternatives.keys().next().value!);
        }
        return alt;
      }
      default:
        return frame;
    }
  }

  function send(to: string, channel: string, payload: Uint8Array): boolean {
    if (channel !== CHANNEL) return inner.send(to, channel, payload);
    if (behaviour === 'replayOld') {
      remember(payload);
      if (memory.length > 8 && ctx.random.chance(0.3)) inner.send(to, channel, memory[ctx.random.int(memory.length)]!);
      return inner.send(to, channel, payload);
    }
    if (behaviour === 'slowPrimary') {
      const decoded = decode(payload);
      if (decoded?.message.type === 'pre-prepare') {
        const copy = payload.slice();
        ctx.clock.setTimeout(() => {
          try {
            inner.send(to, channel, copy);
          } catch {
            // the node may have been disconnected meanwhile
          }
        }, ctx.slowDelayMs);
        return true;
      }
      return inner.send(to, channel, payload);
    }
    const out = rewrite(to, payload);
    return out === undefined ? true : inner.send(to, channel, out);
  }

  return {
    nodeId: inner.nodeId,
    maxMessageBytes: inner.maxMessageBytes,
    peers: () => inner.peers(),
    send,
    broadcast(channel, payload) {
      for (const peer of inner.peers()) send(peer, channel, payload);
    },
    subscribe(channel: string, handler: TransportMessageHandler) {
      if (behaviour !== 'replayOld' || channel !== CHANNEL) return inner.subscribe(channel, handler);
      return inner.subscribe(channel, (from, payload) => {
        remember(payload);
        handler(from, payload);
      });
    },
    onPeerStatus: (listener: (peer: string, status: PeerStatus) => void) => inner.onPeerStatus(listener),
  };
}
