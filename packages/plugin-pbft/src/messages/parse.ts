/**
 * The edge parser: a message body (already JSON-decoded) becomes a typed {@link PbftMessage}, or a
 * reason it is malformed. Nothing past this point re-checks shapes.
 */
import type { JsonValue } from '@hypermesh/runtime';
import type { CheckpointProof, PbftMessage, PreparedProof, ReplyEntry, RequestEntry } from './types.js';

type Obj = Record<string, unknown>;

const DIGEST = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Longest node or client id, namespace, or error text accepted. */
const MAX_ID = 256;
const MAX_TEXT = 4096;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
const isDigest = (v: unknown): v is string => typeof v === 'string' && DIGEST.test(v);
const isB64 = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length % 4 === 0 && BASE64.test(v);
const isB64List = (v: unknown, max: number): v is string[] => Array.isArray(v) && v.length <= max && v.every(isB64);

class Malformed extends Error {}
const need = (ok: boolean, what: string): void => {
  if (!ok) throw new Malformed(what);
};

function requestEntry(v: unknown): RequestEntry {
  need(isObj(v), 'a request is not an object');
  const r = v as Obj;
  need(isId(r.client), 'request.client must be a non-empty string');
  need(isSeq(r.timestamp), 'request.timestamp must be a non-negative integer');
  need(isId(r.namespace), 'request.namespace must be a non-empty string');
  need(r.operation !== undefined, 'request.operation is missing');
  return { client: r.client as string, timestamp: r.timestamp as number, namespace: r.namespace as string, operation: r.operation as JsonValue };
}

function replyEntry(v: unknown): ReplyEntry {
  need(isObj(v), 'a reply is not an object');
  const r = v as Obj;
  need(isId(r.client) && isSeq(r.timestamp), 'reply.client/timestamp are invalid');
  if ('error' in r) {
    const e = r.error;
    need(isObj(e) && isId((e as Obj).code) && typeof (e as Obj).message === 'string' && ((e as Obj).message as string).length <= MAX_TEXT, 'reply.error is invalid');
    const { code, message } = e as { code: string; message: string };
    return { client: r.client as string, timestamp: r.timestamp as number, error: { code, message } };
  }
  need(r.result !== undefined, 'reply.result is missing');
  return { client: r.client as string, timestamp: r.timestamp as number, result: r.result as JsonValue };
}

function checkpointProof(v: unknown, maxProof: number): CheckpointProof {
  need(isObj(v), 'checkpoint is not an object');
  const c = v as Obj;
  need(isSeq(c.seq) && isDigest(c.digest) && isB64List(c.proof, maxProof), 'checkpoint proof is invalid');
  return { seq: c.seq as number, digest: c.digest as string, proof: c.proof as string[] };
}

function preparedProof(v: unknown, maxProof: number): PreparedProof {
  need(isObj(v), 'prepared certificate is not an object');
  const p = v as Obj;
  need(isB64(p.prePrepare) && isB64List(p.prepares, maxProof), 'prepared certificate is invalid');
  return { prePrepare: p.prePrepare as string, prepares: p.prepares as string[] };
}

/** Limits the parser enforces on list lengths. */
export interface ParseLimits {
  /** Replicas in the group (bounds proof lists). */
  readonly n: number;
  /** The watermark window (bounds per-sequence lists). */
  readonly window: number;
  /** Requests in one REQUEST / replies in one REPLY. */
  readonly maxEntries: number;
}

/**
 * Parses a decoded body into a message. Returns the message, or a sentence saying what is wrong.
 */
export function parseMessage(body: unknown, limits: ParseLimits): PbftMessage | string {
  try {
    return parse(body, limits);
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    throw err;
  }
}

function parse(body: unknown, limits: ParseLimits): PbftMessage {
  need(isObj(body), 'the body is not a JSON object');
  const m = body as Obj;
  need(isId(m.from), 'from must be a node id');
  const from = m.from as string;
  const seqFields = () => need(isSeq(m.view) && isSeq(m.seq) && isDigest(m.digest), `${String(m.type)}: view/seq/digest are invalid`);
  switch (m.type) {
    case 'request':
      need(Array.isArray(m.requests) && m.requests.length > 0 && m.requests.length <= limits.maxEntries, 'request: requests must be a non-empty list');
      return { type: 'request', from, requests: (m.requests as unknown[]).map(requestEntry) };
    case 'pre-prepare':
      seqFields();
      return { type: 'pre-prepare', from, view: m.view as number, seq: m.seq as number, digest: m.digest as string };
    case 'prepare':
      seqFields();
      need(isB64(m.prePrepare) && (m.prePrepare as string).length === 88, 'prepare: prePrepare must be a base64 signature');
      return { type: 'prepare', from, view: m.view as number, seq: m.seq as number, digest: m.digest as string, prePrepare: m.prePrepare as string };
    case 'commit':
      seqFields();
      return { type: 'commit', from, view: m.view as number, seq: m.seq as number, digest: m.digest as string };
    case 'reply':
      need(isSeq(m.view) && Array.isArray(m.replies) && m.replies.length <= limits.maxEntries, 'reply: view/replies are invalid');
      return { type: 'reply', from, view: m.view as number, replies: (m.replies as unknown[]).map(replyEntry) };
    case 'checkpoint':
      need(isSeq(m.seq) && isDigest(m.digest), 'checkpoint: seq/digest are invalid');
      return { type: 'checkpoint', from, seq: m.seq as number, digest: m.digest as string };
    case 'view-change':
      need(isSeq(m.view) && Array.isArray(m.prepared) && m.prepared.length <= limits.window, 'view-change: view/prepared are invalid');
      return {
        type: 'view-change',
        from,
        view: m.view as number,
        checkpoint: checkpointProof(m.checkpoint, limits.n),
        prepared: (m.prepared as unknown[]).map((p) => preparedProof(p, limits.n)),
      };
    case 'new-view':
      need(isSeq(m.view) && isB64List(m.viewChanges, limits.n) && isB64List(m.prePrepares, limits.window), 'new-view: fields are invalid');
      return { type: 'new-view', from, view: m.view as number, viewChanges: m.viewChanges as string[], prePrepares: m.prePrepares as string[] };
    case 'status':
      need(isSeq(m.view) && typeof m.active === 'boolean' && isSeq(m.stable) && isSeq(m.executed), 'status: fields are invalid');
      need(Array.isArray(m.viewChanges) && m.viewChanges.length <= limits.n && m.viewChanges.every(isId), 'status: viewChanges is invalid');
      return {
        type: 'status',
        from,
        view: m.view as number,
        active: m.active as boolean,
        stable: m.stable as number,
        executed: m.executed as number,
        viewChanges: m.viewChanges as string[],
      };
    case 'stable-checkpoint':
      return { type: 'stable-checkpoint', from, checkpoint: checkpointProof(m.checkpoint, limits.n) };
    case 'fetch-batches':
      need(Array.isArray(m.digests) && m.digests.length > 0 && m.digests.length <= limits.window && m.digests.every(isDigest), 'fetch-batches: digests are invalid');
      return { type: 'fetch-batches', from, digests: m.digests as string[] };
    case 'batch':
      need(isDigest(m.digest), 'batch: digest is invalid');
      return { type: 'batch', from, digest: m.digest as string };
    case 'fetch-state':
      need(isSeq(m.seq) && isDigest(m.digest) && isSeq(m.chunk), 'fetch-state: fields are invalid');
      return { type: 'fetch-state', from, seq: m.seq as number, digest: m.digest as string, chunk: m.chunk as number };
    case 'state-chunk':
      need(isSeq(m.seq) && isDigest(m.digest) && isSeq(m.chunk) && isSeq(m.chunks) && (m.chunk as number) < (m.chunks as number), 'state-chunk: fields are invalid');
      return { type: 'state-chunk', from, seq: m.seq as number, digest: m.digest as string, chunk: m.chunk as number, chunks: m.chunks as number };
    case 'fetch-committed':
      need(isSeq(m.after) && isSeq(m.limit) && (m.limit as number) >= 1, 'fetch-committed: fields are invalid');
      return { type: 'fetch-committed', from, after: m.after as number, limit: Math.min(m.limit as number, limits.window) };
    case 'committed':
      seqFields();
      need(isB64List(m.commits, limits.n), 'committed: commits are invalid');
      return { type: 'committed', from, view: m.view as number, seq: m.seq as number, digest: m.digest as string, commits: m.commits as string[] };
    default:
      throw new Malformed(`unknown message type ${JSON.stringify(m.type)?.slice(0, 40)}`);
  }
}
