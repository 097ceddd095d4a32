import { z } from 'zod';
import { DnsCtError, DnsCtErrorCode } from '../errors.js';
import { toDer } from '../x509/pem.js';
import { decodeDigitallySigned, decodeMerkleTreeLeaf, type MerkleTreeLeaf, type SignedCertificateTimestamp } from './sct.js';
import { getSthResponseSchema, keyOf, verifySth, type GetSthResponse, type LogKeyInput, type TreeHead } from './sth.js';
import { TlsReader } from './tls-codec.js';

/** Options of {@link CtLogClient}. */
export interface CtLogClientOptions {
  /** The log's base URL, e.g. `https://ct.example/logs/2026/` (the `ct/v1/…` paths are appended). */
  readonly url: string;
  /** The log's key: when given, every STH is verified and an STH that does not verify throws. */
  readonly publicKey?: LogKeyInput;
  /** Per-request timeout, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** The fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
}

/** One entry of get-entries, with its leaf decoded. */
export interface LogEntry {
  readonly index: number;
  /** The MerkleTreeLeaf bytes; `merkle.leafHash(leafInput)` is the leaf's hash. */
  readonly leafInput: Uint8Array;
  readonly extraData: Uint8Array;
  readonly leaf: MerkleTreeLeaf;
}

const b64 = z.string().transform((s) => new Uint8Array(Buffer.from(s, 'base64')));
const consistencySchema = z.object({ consistency: z.array(b64) });
const proofSchema = z.object({ leaf_index: z.number().int().min(0), audit_path: z.array(b64) });
const entriesSchema = z.object({ entries: z.array(z.object({ leaf_input: b64, extra_data: b64 })) });
const rootsSchema = z.object({ certificates: z.array(b64) });
const sctSchema = z.object({ sct_version: z.number().int(), id: b64, timestamp: z.number().int().min(0), extensions: z.string(), signature: b64 });

/**
 * A client of the RFC 6962 §4 HTTP API of a CT log. Every response is parsed at the edge; a
 * malformed or unverifiable answer throws `E_CT_LOG_RESPONSE`, an HTTP or network failure
 * `E_CT_LOG_HTTP`.
 */
export class CtLogClient {
  readonly url: string;
  private readonly options: CtLogClientOptions;

  constructor(options: CtLogClientOptions) {
    this.options = options;
    this.url = options.url.endsWith('/') ? options.url : `${options.url}/`;
  }

  /** get-sth: the latest signed tree head, verified when the client has the log's key. */
  async getSth(): Promise<TreeHead & { readonly response: GetSthResponse }> {
    const body = await this.get('get-sth', {});
    if (this.options.publicKey !== undefined) {
      const verdict = verifySth({ sth: body, publicKey: keyOf(this.options.publicKey) });
      if (!verdict.valid) throw this.bad('get-sth', verdict.reason);
      return { ...verdict.treeHead, response: body as GetSthResponse };
    }
    const sth = this.parse('get-sth', getSthResponseSchema, body);
    return { treeSize: sth.tree_size, timestamp: sth.timestamp, rootHash: new Uint8Array(Buffer.from(sth.sha256_root_hash, 'base64')), response: sth };
  }

  /** get-sth-consistency: the proof that tree `second` extends tree `first`. */
  async getSthConsistency(first: number, second: number): Promise<Uint8Array[]> {
    return this.parse('get-sth-consistency', consistencySchema, await this.get('get-sth-consistency', { first, second })).consistency;
  }

  /** get-proof-by-hash: the index and audit path of a leaf (by its leaf hash) in tree `treeSize`. */
  async getProofByHash(leafHash: Uint8Array, treeSize: number): Promise<{ readonly leafIndex: number; readonly auditPath: Uint8Array[] }> {
    const body = this.parse('get-proof-by-hash', proofSchema, await this.get('get-proof-by-hash', { hash: Buffer.from(leafHash).toString('base64'), tree_size: treeSize }));
    return { leafIndex: body.leaf_index, auditPath: body.audit_path };
  }

  /** get-entries: entries `start`..`end` inclusive; a log may return fewer than asked. */
  async getEntries(start: number, end: number): Promise<LogEntry[]> {
    const body = this.parse('get-entries', entriesSchema, await this.get('get-entries', { start, end }));
    if (body.entries.length > end - start + 1) throw this.bad('get-entries', `${body.entries.length} entries for the ${end - start + 1} asked`);
    return body.entries.map((entry, i) => {
      try {
        return { index: start + i, leafInput: entry.leaf_input, extraData: entry.extra_data, leaf: decodeMerkleTreeLeaf(entry.leaf_input) };
      } catch (err) {
        throw this.bad('get-entries', `entry ${start + i} has a malformed leaf_input: ${(err as Error).message}`);
      }
    });
  }

  /** get-roots: the roots the log accepts, DER. */
  async getRoots(): Promise<Uint8Array[]> {
    return this.parse('get-roots', rootsSchema, await this.get('get-roots', {})).certificates;
  }

  /** add-chain: submits a certificate chain (leaf first), returns the log's SCT. */
  async addChain(chain: readonly (string | Uint8Array)[]): Promise<SignedCertificateTimestamp> {
    return this.submit('add-chain', chain);
  }

  /** add-pre-chain: submits a precertificate chain (precertificate first, then its issuer). */
  async addPreChain(chain: readonly (string | Uint8Array)[]): Promise<SignedCertificateTimestamp> {
    return this.submit('add-pre-chain', chain);
  }

  private async submit(method: string, chain: readonly (string | Uint8Array)[]): Promise<SignedCertificateTimestamp> {
    const body = { chain: chain.map((c) => Buffer.from(toDer(c)).toString('base64')) };
    const sct = this.parse(method, sctSchema, await this.request(method, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }));
    try {
      const reader = new TlsReader(sct.signature);
      const signature = decodeDigitallySigned(reader);
      reader.end('the SCT signature');
      return { version: sct.sct_version, logId: sct.id, timestamp: sct.timestamp, extensions: new Uint8Array(Buffer.from(sct.extensions, 'base64')), signature };
    } catch (err) {
      throw this.bad(method, `the SCT signature is malformed: ${(err as Error).message}`);
    }
  }

  private get(method: string, query: Record<string, string | number>): Promise<unknown> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const qs = params.size > 0 ? `?${params.toString()}` : '';
    return this.request(`${method}${qs}`, { method: 'GET' });
  }

  private async request(path: string, init: RequestInit): Promise<unknown> {
    const url = `${this.url}ct/v1/${path}`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (cause) {
      throw new DnsCtError(DnsCtErrorCode.CtLogHttp, `The CT log at ${this.url} could not be reached for ${path.split('?')[0]}: ${(cause as Error).message}. Check the log URL and that it is up.`, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new DnsCtError(DnsCtErrorCode.CtLogHttp, `The CT log at ${this.url} answered ${path.split('?')[0]} with HTTP ${response.status}: ${text.slice(0, 200)}`, {
        details: { status: response.status },
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw this.bad(path.split('?')[0]!, 'the body is not JSON');
    }
  }

  private parse<T extends z.ZodType>(method: string, schema: T, body: unknown): z.output<T> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw this.bad(method, `at '${issue.path.join('.')}', ${issue.message}`);
    }
    return parsed.data;
  }

  private bad(method: string, why: string): DnsCtError {
    return new DnsCtError(DnsCtErrorCode.CtLogResponse, `The CT log at ${this.url} sent a ${method} answer that cannot be trusted: ${why}.`);
  }
}
