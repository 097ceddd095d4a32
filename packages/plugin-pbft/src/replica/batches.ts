/**
 * Batch bodies known to this replica, by digest, each verified once: its REQUEST envelopes are
 * opened and their signatures checked (a primary cannot invent requests), every request belongs to
 * the node that signed its envelope, and the primary's rejections point at real requests.
 */
import { decodeBatch, NULL_BATCH, NULL_DIGEST, sha256 } from '../messages/batch.js';
import type { Authenticator } from '../messages/envelope.js';
import type { Digest, RequestMessage } from '../messages/types.js';
import type { OrderedRequest } from './executor.js';

/** A batch body whose requests were verified. */
export interface VerifiedBatch {
  readonly digest: Digest;
  readonly bytes: Uint8Array;
  /** The primary's timestamp. */
  readonly timestamp: number;
  /** Requests in batch order, with the primary's refusals. */
  readonly requests: readonly OrderedRequest[];
}

/** The node a client id belongs to: client ids are `<node id>/<slot>`. */
export function clientNode(client: string): string {
  return client.slice(0, client.lastIndexOf('/'));
}

/** Checks that every request of a REQUEST message belongs to its signer. */
export function requestOwnershipProblem(message: RequestMessage): string | undefined {
  const stray = message.requests.find((r) => clientNode(r.client) !== message.from || r.client.endsWith('/'));
  return stray === undefined ? undefined : `request of client '${stray.client.slice(0, 64)}' is signed by node '${message.from}'`;
}

/** Verified batch bodies by digest. */
export class BatchStore {
  private readonly batches = new Map<Digest, VerifiedBatch>();

  constructor(private readonly auth: Authenticator) {
    this.batches.set(NULL_DIGEST, { digest: NULL_DIGEST, bytes: NULL_BATCH, timestamp: 0, requests: [] });
  }

  /** The verified batch with this digest, if known. */
  get(digest: Digest): VerifiedBatch | undefined {
    return this.batches.get(digest);
  }

  /** True when the body is known. */
  has(digest: Digest): boolean {
    return this.batches.has(digest);
  }

  /**
   * Verifies a body and keeps it. `digest`, when given, must match. Returns the batch or the
   * reason it was refused.
   */
  verify(bytes: Uint8Array, digest: Digest = sha256(bytes)): VerifiedBatch | string {
    const known = this.batches.get(digest);
    if (known !== undefined) return known;
    if (sha256(bytes) !== digest) return `batch body does not hash to ${digest.slice(0, 16)}…`;
    const body = decodeBatch(bytes);
    if (typeof body === 'string') return body;
    const requests: OrderedRequest[] = [];
    const firstOf: number[] = [];
    for (const [i, bundle] of body.bundles.entries()) {
      const opened = this.auth.open(bundle);
      if (!opened.ok) return `request envelope ${i}: ${opened.detail}`;
      if (opened.message.type !== 'request' || opened.attachment.byteLength > 0) return `entry ${i} is not a REQUEST envelope`;
      const problem = requestOwnershipProblem(opened.message);
      if (problem !== undefined) return `request envelope ${i}: ${problem}`;
      firstOf.push(requests.length);
      for (const request of opened.message.requests) requests.push({ request });
    }
    const refused = new Map<number, { code: string; message: string }>();
    for (const r of body.rejections) {
      const bundleSize = (firstOf[r.bundle + 1] ?? requests.length) - firstOf[r.bundle]!;
      if (r.index >= bundleSize) return `rejection names request ${r.index} of envelope ${r.bundle}, which has ${bundleSize}`;
      refused.set(firstOf[r.bundle]! + r.index, { code: r.code, message: r.message });
    }
    const ordered = refused.size === 0 ? requests : requests.map((r, i) => (refused.has(i) ? { request: r.request, rejection: refused.get(i)! } : r));
    const batch: VerifiedBatch = { digest, bytes: new Uint8Array(bytes), timestamp: body.timestamp, requests: ordered };
    this.batches.set(digest, batch);
    return batch;
  }

  /** Keeps only the bodies in `live` (and the null batch). */
  retain(live: ReadonlySet<Digest>): void {
    for (const digest of this.batches.keys()) if (digest !== NULL_DIGEST && !live.has(digest)) this.batches.delete(digest);
  }

  /** Number of bodies held. */
  get size(): number {
    return this.batches.size;
  }
}
