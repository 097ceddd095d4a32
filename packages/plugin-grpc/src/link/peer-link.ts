import type { ClientDuplexStream, ServerDuplexStream } from '@grpc/grpc-js';
import type { PeerStatus } from '@hypermesh/runtime';
import { encodeBatch } from '../frame/frame.js';
import { newLinkCounters, type LinkCounters } from './link-stats.js';
import { SendQueue } from './send-queue.js';

/** A stream of frames with a peer: the call this node dialed, or the one it accepted. */
export type FrameStream = ClientDuplexStream<Buffer, Buffer> | ServerDuplexStream<Buffer, Buffer>;

/** Which side opened a stream: this node dialed the peer, or the peer dialed this node. */
export type StreamRole = 'dialed' | 'accepted';

/** What a link needs from the transport that owns it. */
export interface LinkOwner {
  /** A frame arrived from the link's peer. */
  onFrame(peer: string, frame: Buffer): void;
  /** The link went up or down. */
  onStatus(peer: string, status: PeerStatus): void;
  /** A stream ended; `detail` says why (for logs). */
  onStreamEnded(peer: string, role: StreamRole, detail: string): void;
}

interface AttachedStream {
  readonly stream: FrameStream;
  readonly role: StreamRole;
  ended: boolean;
}

/**
 * The connection to one peer: its send queue, the stream messages are written to, and its status.
 * A link is `up` while it has a live stream, whichever side opened it; a newer stream replaces an
 * older one (a peer that restarted dials again before the old stream is noticed dead). The queue
 * outlives streams, so messages sent while the peer is down go out when it comes back.
 */
export class PeerLink {
  /** Counters read by the metrics. */
  readonly counters: LinkCounters = newLinkCounters();
  private readonly queue: SendQueue;
  private current: AttachedStream | undefined;
  private blocked = false;
  private hasBeenUp = false;
  private closed = false;
  private readonly maxBatchBytes: number;

  constructor(
    /** The peer's node id. */
    readonly peer: string,
    /** Where the peer listens (HOST:PORT); used when this node dials. */
    public address: string,
    private readonly owner: LinkOwner,
    limits: { readonly maxQueuedMessages: number; readonly maxQueuedBytes: number; readonly maxBatchBytes: number },
  ) {
    this.maxBatchBytes = limits.maxBatchBytes;
    this.queue = new SendQueue(limits.maxQueuedMessages, limits.maxQueuedBytes);
  }

  /** `up` while a stream to the peer is live. */
  get status(): PeerStatus {
    return this.current === undefined ? 'down' : 'up';
  }

  /** Messages waiting in the send queue. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /** Bytes waiting in the send queue. */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** Queues a frame; `false` when the queue is full (counted as a `queue-full` drop). */
  enqueue(frame: Buffer): boolean {
    if (!this.queue.push(frame)) {
      this.counters.dropped['queue-full']++;
      return false;
    }
    if (this.current !== undefined && !this.blocked) this.pump();
    return true;
  }

  /** Makes `stream` the link's stream; the link is up from now on. */
  attach(stream: FrameStream, role: StreamRole): void {
    if (this.closed) {
      stream.end();
      return;
    }
    const attached: AttachedStream = { stream, role, ended: false };
    const previous = this.current;
    this.current = attached;
    this.blocked = false;
    stream.on('data', (frame: Buffer) => this.owner.onFrame(this.peer, frame));
    stream.on('drain', () => {
      if (this.current === attached) {
        this.blocked = false;
        this.pump();
      }
    });
    // The peer half-closed: it is leaving; finish our side too so the call completes.
    stream.on('end', () => {
      if (!stream.writableEnded) stream.end();
    });
    const finish = (detail: string) => this.finish(attached, detail);
    stream.on('error', (err: Error) => finish(err.message));
    stream.on('close', () => finish('stream closed'));
    stream.on('cancelled', () => finish('cancelled by the peer'));
    stream.on('status', (status: { code: number; details: string }) => finish(`status ${status.code}: ${status.details}`));
    if (previous !== undefined) {
      previous.ended = true;
      previous.stream.end();
    } else {
      if (this.hasBeenUp) this.counters.reconnects++;
      this.hasBeenUp = true;
      this.owner.onStatus(this.peer, 'up');
    }
    this.pump();
  }

  /** Ends the link's stream (half-close, so written frames still go out) and refuses new ones. */
  close(): number {
    this.closed = true;
    const dropped = this.queue.clear();
    this.counters.dropped.closed += dropped;
    const current = this.current;
    if (current !== undefined) current.stream.end();
    return dropped;
  }

  /** Destroys the stream without waiting (after the stop grace period). */
  destroy(): void {
    const current = this.current;
    if (current === undefined) return;
    const stream = current.stream;
    if ('cancel' in stream) stream.cancel();
    else stream.destroy();
  }

  private finish(attached: AttachedStream, detail: string): void {
    if (attached.ended && this.current !== attached) return;
    attached.ended = true;
    if (this.current !== attached) return;
    this.current = undefined;
    this.blocked = false;
    this.owner.onStreamEnded(this.peer, attached.role, detail);
    this.owner.onStatus(this.peer, 'down');
  }

  // Writes queued frames until gRPC's stream buffer is full, then waits for 'drain'. A backlog is
  // coalesced into batch frames of up to maxBatchBytes: one gRPC message per frame would cost far
  // more in gRPC's per-message work than in bytes.
  private pump(): void {
    const current = this.current;
    if (current === undefined) return;
    const stream = current.stream;
    while (!this.blocked && this.queue.length > 0) {
      if (stream.writableEnded || stream.destroyed) return;
      let out = this.queue.shift()!;
      this.counters.sentMessages++;
      this.counters.sentBytes += out.byteLength;
      if (this.queue.length > 0 && this.queue.peekBytes()! + out.byteLength + 9 <= this.maxBatchBytes) {
        const frames = [out];
        let size = 1 + 4 + out.byteLength;
        while (this.queue.length > 0 && size + 4 + this.queue.peekBytes()! <= this.maxBatchBytes) {
          const next = this.queue.shift()!;
          frames.push(next);
          size += 4 + next.byteLength;
          this.counters.sentMessages++;
          this.counters.sentBytes += next.byteLength;
        }
        out = encodeBatch(frames);
      }
      if (!stream.write(out)) this.blocked = true;
    }
  }
}
