import { createHash, type KeyObject } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ClockService } from '@hypermesh/runtime';
import { DnsCtError, DnsCtErrorCode } from '../../errors.js';
import { leafHash } from '../merkle/proofs.js';
import { MerkleTree } from '../merkle/tree.js';
import { encodeMerkleTreeLeaf, sctSignedData, type SignedCertificateTimestamp, type SignedEntry } from '../sct.js';
import { signDigitally } from '../signature.js';
import { signTreeHead, type GetSthResponse } from '../sth.js';
import { TlsWriter } from '../tls-codec.js';

/** One logged entry: what get-entries serves. */
export interface StoredEntry {
  readonly leafInput: Uint8Array;
  readonly extraData: Uint8Array;
}

/** Options of {@link CtLogStore}. */
export interface CtLogStoreOptions {
  /** The log's ECDSA P-256 (or RSA) private key. */
  readonly privateKey: KeyObject;
  /** The log id: SHA-256 of the public key's SPKI. */
  readonly logId: Uint8Array;
  readonly clock: ClockService;
  /** A file the entries are appended to (one JSON line each) and reloaded from at start. */
  readonly storageFile?: string;
}

/**
 * The state of a CT log: entries in order, the append-only Merkle tree over their leaf hashes,
 * and the SCTs and tree heads it signs. Entries are merged into the tree at once (merge delay 0),
 * so every SCT it issues is covered by the next STH.
 */
export class CtLogStore {
  private readonly entries: StoredEntry[] = [];
  private readonly tree = new MerkleTree();
  /** leaf hash (base64) → index, for get-proof-by-hash */
  private readonly byLeafHash = new Map<string, number>();
  /** SHA-256 of the submitted entry (base64) → the SCT already issued for it */
  private readonly issued = new Map<string, SignedCertificateTimestamp>();
  private sth: GetSthResponse | undefined;

  constructor(private readonly options: CtLogStoreOptions) {
    if (options.storageFile !== undefined && existsSync(options.storageFile)) this.load(options.storageFile);
  }

  /** The number of entries. */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Logs an entry and returns its SCT (RFC 6962 §3.2). Submitting the same entry again returns
   * the SCT issued the first time, as §4.1 allows.
   */
  add(entry: SignedEntry, chain: readonly Uint8Array[]): SignedCertificateTimestamp {
    const key = entryKey(entry);
    const existing = this.issued.get(key);
    if (existing !== undefined) return existing;
    const timestamp = this.options.clock.now();
    const extensions = new Uint8Array(0);
    const sct: SignedCertificateTimestamp = {
      version: 0,
      logId: this.options.logId,
      timestamp,
      extensions,
      signature: signDigitally(this.options.privateKey, sctSignedData(timestamp, entry, extensions)),
    };
    const stored = { leafInput: encodeMerkleTreeLeaf(timestamp, entry, extensions), extraData: extraDataOf(entry, chain) };
    this.append(stored, key, sct);
    if (this.options.storageFile !== undefined) {
      const line = {
        leaf_input: Buffer.from(stored.leafInput).toString('base64'),
        extra_data: Buffer.from(stored.extraData).toString('base64'),
        signature: Buffer.from(sct.signature.signature).toString('base64'),
        signature_algorithm: sct.signature.signatureAlgorithm,
        key,
      };
      appendFileSync(this.options.storageFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    }
    return sct;
  }

  /** The signed tree head of the current tree, re-signed only when the tree grew. */
  signedTreeHead(): GetSthResponse {
    if (this.sth === undefined || this.sth.tree_size !== this.size) {
      this.sth = signTreeHead({ treeSize: this.size, timestamp: this.options.clock.now(), rootHash: this.tree.root() }, this.options.privateKey);
    }
    return this.sth;
  }

  /** Entries `start`..`end` inclusive. */
  entriesBetween(start: number, end: number): StoredEntry[] {
    return this.entries.slice(start, end + 1);
  }

  /** The first index of a leaf hash, if logged. */
  indexOf(leafHashValue: Uint8Array): number | undefined {
    return this.byLeafHash.get(Buffer.from(leafHashValue).toString('base64'));
  }

  /** Inclusion proof of `index` in the tree of `treeSize` leaves. */
  inclusionProof(index: number, treeSize: number): Uint8Array[] {
    return this.tree.inclusionProof(index, treeSize);
  }

  /** Consistency proof between two tree sizes (empty from size 0). */
  consistencyProof(first: number, second: number): Uint8Array[] {
    return first === 0 ? [] : this.tree.consistencyProof(first, second);
  }

  private append(stored: StoredEntry, key: string, sct: SignedCertificateTimestamp): void {
    const hash = leafHash(stored.leafInput);
    const index = this.tree.append(hash);
    this.entries.push(stored);
    const id = Buffer.from(hash).toString('base64');
    if (!this.byLeafHash.has(id)) this.byLeafHash.set(id, index);
    this.issued.set(key, sct);
  }

  private load(file: string): void {
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
    lines.forEach((line, i) => {
      try {
        const record = JSON.parse(line) as { leaf_input: string; extra_data: string; signature: string; signature_algorithm: number; key: string };
        const leafInput = new Uint8Array(Buffer.from(record.leaf_input, 'base64'));
        const timestamp = Buffer.from(leafInput.subarray(2, 10)).readBigUInt64BE();
        const sct: SignedCertificateTimestamp = {
          version: 0,
          logId: this.options.logId,
          timestamp: Number(timestamp),
          extensions: new Uint8Array(0),
          signature: { hashAlgorithm: 4, signatureAlgorithm: record.signature_algorithm, signature: new Uint8Array(Buffer.from(record.signature, 'base64')) },
        };
        this.append({ leafInput, extraData: new Uint8Array(Buffer.from(record.extra_data, 'base64')) }, record.key, sct);
      } catch (cause) {
        throw new DnsCtError(DnsCtErrorCode.CtLogServer, `The CT log storage file ${file} is corrupt at line ${i + 1}: ${(cause as Error).message}. Restore it from a backup; a log must never lose entries.`, { cause });
      }
    });
  }
}

function entryKey(entry: SignedEntry): string {
  const hash = createHash('sha256');
  if (entry.type === 'x509') hash.update('x509').update(entry.certificate);
  else hash.update('precert').update(entry.issuerKeyHash).update(entry.tbsCertificate);
  return hash.digest('base64');
}

/** extra_data of get-entries (RFC 6962 §4.6): the chain, and for a precertificate the precertificate first. */
function extraDataOf(entry: SignedEntry, chain: readonly Uint8Array[]): Uint8Array {
  const certificates = new TlsWriter();
  for (const cert of chain.slice(1)) certificates.vector(cert, 3);
  const list = new TlsWriter().vector(certificates.finish(), 3).finish();
  if (entry.type === 'x509') return list;
  return new TlsWriter().vector(chain[0]!, 3).fixed(list).finish();
}
