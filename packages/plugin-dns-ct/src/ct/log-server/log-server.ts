import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type ClockService } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../../errors.js';
import { pemCertificates } from '../../x509/pem.js';
import { logFromKey, type CtLog } from '../log-list.js';
import type { CtLogger } from '../logger.js';
import { encodeDigitallySigned } from '../sct.js';
import { certificateOf } from '../verify-scts.js';
import { CtLogStore } from './log-store.js';
import { checkSubmission } from './submission.js';

/** Options of {@link startCtLogServer}. */
export interface CtLogServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: an ephemeral port, read it from `url`). */
  readonly port?: number;
  /** The log's private key (ECDSA P-256 recommended), as a KeyObject or PKCS#8/SEC1 PEM. */
  readonly privateKey?: KeyObject | string;
  /** A PEM file holding the key; created with a new P-256 key when missing. Ignored when `privateKey` is given. */
  readonly keyFile?: string;
  /** A file the log appends its entries to and reloads at start; without it the log lives in memory. */
  readonly storageFile?: string;
  /** Root certificates (PEM, several per string allowed, or DER) whose chains the log accepts. */
  readonly roots?: readonly (string | Uint8Array)[];
  /** Accept chains that end at any certificate (a private cluster log). Default: true when `roots` is empty. */
  readonly acceptAnyRoot?: boolean;
  /** How the log describes itself in its {@link CtLog} entry. */
  readonly description?: string;
  readonly operator?: string;
  /** Timestamps of SCTs and tree heads come from this clock (the runtime's `clockRef`). */
  readonly clock?: ClockService;
  readonly logger?: CtLogger;
  /** Called for every refused request (bad JSON, bad chain, bad parameters), e.g. to count it. */
  readonly onRejected?: (method: string, reason: string) => void;
}

/** A running CT log. */
export interface CtLogServer {
  /** The base URL clients use (`CtLogClient({ url })`). */
  readonly url: string;
  /** The log as a list entry: its id, key, description and URL, for `verifyEmbeddedScts` and the policy. */
  readonly log: CtLog;
  readonly store: CtLogStore;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const MAX_ENTRIES = 256;

class BadRequest extends Error {}

function loadPrivateKey(options: CtLogServerOptions): KeyObject {
  if (options.privateKey !== undefined) return typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  if (options.keyFile !== undefined && existsSync(options.keyFile)) return createPrivateKey(readFileSync(options.keyFile, 'utf8'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  if (options.keyFile !== undefined) writeFileSync(options.keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return privateKey;
}

/**
 * Starts a Certificate Transparency log serving the RFC 6962 §4 HTTP API (`/ct/v1/add-chain`,
 * `add-pre-chain`, `get-sth`, `get-sth-consistency`, `get-proof-by-hash`, `get-entries`,
 * `get-roots`, `get-entry-and-proof`), so a cluster can run its own log offline. Bad requests are
 * answered 400 with a reason, never crash the server. Rejects with `E_CT_LOG_SERVER` when it
 * cannot listen or its key or storage cannot be read.
 */
export async function startCtLogServer(options: CtLogServerOptions = {}): Promise<CtLogServer> {
  let privateKey: KeyObject;
  let roots: ReturnType<typeof certificateOf>[];
  try {
    privateKey = loadPrivateKey(options);
    roots = (options.roots ?? []).flatMap((r) => (typeof r === 'string' ? pemCertificates(r) : [r])).map((der) => certificateOf(der, 'log root'));
  } catch (cause) {
    throw new DnsCtError(DnsCtErrorCode.CtLogServer, `The CT log server cannot start: ${(cause as Error).message}.`, { cause });
  }
  const acceptAnyRoot = options.acceptAnyRoot ?? roots.length === 0;
  const publicKey = createPublicKey(privateKey);
  const partial = logFromKey({ key: publicKey, description: options.description ?? 'HyperMesh cluster CT log', operator: options.operator ?? 'HyperMesh cluster' });
  const store = new CtLogStore({ privateKey, logId: new Uint8Array(Buffer.from(partial.logId, 'base64')), clock: options.clock ?? systemClock, ...(options.storageFile === undefined ? {} : { storageFile: options.storageFile }) });

  const int = (params: URLSearchParams, name: string): number => {
    const value = params.get(name);
    if (value === null || !/^\d{1,15}$/.test(value)) throw new BadRequest(`parameter '${name}' must be a non-negative integer`);
    return Number(value);
  };
  const routes: Record<string, (params: URLSearchParams, body: unknown) => unknown> = {
    'get-sth': () => store.signedTreeHead(),
    'get-sth-consistency': (params) => {
      const first = int(params, 'first');
      const second = int(params, 'second');
      if (first > second || second > store.size) throw new BadRequest(`need 0 <= first <= second <= ${store.size}`);
      return { consistency: b64s(store.consistencyProof(first, second)) };
    },
    'get-proof-by-hash': (params) => {
      const hash = new Uint8Array(Buffer.from(params.get('hash') ?? '', 'base64'));
      const treeSize = int(params, 'tree_size');
      if (hash.length !== 32) throw new BadRequest(`parameter 'hash' must be a base64 SHA-256 leaf hash`);
      if (treeSize > store.size) throw new BadRequest(`tree_size ${treeSize} is larger than the tree (${store.size})`);
      const index = store.indexOf(hash);
      if (index === undefined || index >= treeSize) throw new BadRequest(`no leaf with that hash in the tree of size ${treeSize}`);
      return { leaf_index: index, audit_path: b64s(store.inclusionProof(index, treeSize)) };
    },
    'get-entries': (params) => {
      const start = int(params, 'start');
      const end = int(params, 'end');
      if (start > end || start >= store.size) throw new BadRequest(`need start <= end and start < ${store.size}`);
      const entries = store.entriesBetween(start, Math.min(end, start + MAX_ENTRIES - 1, store.size - 1));
      return { entries: entries.map((e) => ({ leaf_input: b64(e.leafInput), extra_data: b64(e.extraData) })) };
    },
    'get-entry-and-proof': (params) => {
      const index = int(params, 'leaf_index');
      const treeSize = int(params, 'tree_size');
      if (index >= treeSize || treeSize > store.size) throw new BadRequest(`need leaf_index < tree_size <= ${store.size}`);
      const [entry] = store.entriesBetween(index, index);
      return { leaf_input: b64(entry!.leafInput), extra_data: b64(entry!.extraData), audit_path: b64s(store.inclusionProof(index, treeSize)) };
    },
    'get-roots': () => ({ certificates: roots.map((r) => b64(r.der)) }),
    'add-chain': (_params, body) => issue('x509', body),
    'add-pre-chain': (_params, body) => issue('precert', body),
  };
  const issue = (kind: 'x509' | 'precert', body: unknown) => {
    const chain = (body as { chain?: unknown } | null)?.chain;
    if (!Array.isArray(chain) || !chain.every((c) => typeof c === 'string')) throw new BadRequest(`the body must be {"chain": [base64 DER, …]}`);
    const submission = checkSubmission(kind, chain.map((c: string) => new Uint8Array(Buffer.from(c, 'base64'))), roots, acceptAnyRoot);
    const sct = store.add(submission.entry, submission.chain);
    return { sct_version: sct.version, id: b64(sct.logId), timestamp: sct.timestamp, extensions: b64(sct.extensions), signature: b64(encodeDigitallySigned(sct.signature)) };
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://log');
    const method = url.pathname.replace(/^\/ct\/v1\//, '');
    const route = url.pathname.startsWith('/ct/v1/') ? routes[method] : undefined;
    try {
      if (route === undefined) return send(res, 404, { error_message: `unknown endpoint ${url.pathname}` });
      const post = method.startsWith('add-');
      if ((req.method === 'POST') !== post) return send(res, 405, { error_message: `${method} takes ${post ? 'POST' : 'GET'}` });
      let body: unknown;
      if (post) {
        const text = await readBody(req);
        try {
          body = JSON.parse(text);
        } catch {
          throw new BadRequest('the body is not JSON');
        }
      }
      send(res, 200, route(url.searchParams, body));
    } catch (err) {
      if (err instanceof BadRequest || (err instanceof DnsCtError && err.code === DnsCtErrorCode.CtSubmission)) {
        options.onRejected?.(method, err.message);
        options.logger?.warn({ method, reason: err.message }, 'CT log refused a request');
        return send(res, 400, { error_message: err.message });
      }
      options.logger?.warn({ method, err }, 'CT log request failed');
      send(res, 500, { error_message: 'internal error' });
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (cause) {
    throw new DnsCtError(DnsCtErrorCode.CtLogServer, `The CT log server cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${(cause as Error).message}.`, { cause });
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  options.logger?.info({ url, logId: partial.logId, entries: store.size }, 'CT log server listening');
  return {
    url,
    log: { ...partial, url },
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const b64s = (list: readonly Uint8Array[]) => list.map(b64);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BODY) {
        reject(new BadRequest(`the body is larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
