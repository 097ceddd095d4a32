import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Role } from '../auth/roles.js';

/** How a mutating call ended. */
export type AuditOutcome = 'ok' | 'denied' | 'invalid' | 'rate-limited' | 'failed';

/** One line of the audit log: who did what, when, and how it ended. */
export interface AuditEntry {
  /** When the call was answered (ISO 8601, from the clock service). */
  readonly at: string;
  /** The request id (also in the `x-request-id` response header). */
  readonly requestId: string;
  /** The API key id or token subject. */
  readonly who: string;
  readonly role: Role;
  /** How the caller authenticated. */
  readonly via: 'api-key' | 'jwt';
  /** The client's address. */
  readonly client: string;
  /** `http` or `grpc`. */
  readonly transport: 'http' | 'grpc';
  /** The operation, e.g. `workloads.deploy`. */
  readonly operation: string;
  /** What it acted on, e.g. `default/echo`, when the operation names one. */
  readonly target?: string;
  readonly outcome: AuditOutcome;
  /** The HTTP status answered (the gRPC status maps from it). */
  readonly status: number;
  /** The error answered, when the call did not succeed. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A filter for the audit log (`GET /v1/audit`, `gatewayRef.audit`). */
export interface AuditQuery {
  /** At most this many entries, newest first. */
  readonly limit: number;
  /** Only entries of this caller. */
  readonly who?: string | undefined;
  /** Only entries of this operation. */
  readonly operation?: string | undefined;
}

/** Bytes read back from the end of the file at start to fill the in-memory window. */
const TAIL_BYTES = 8 * 1024 * 1024;

/**
 * The audit log: an append-only JSON-lines file (one {@link AuditEntry} per line, written in the
 * order calls were answered) plus a window of recent entries in memory for `GET /v1/audit`. At
 * start the window is filled from the end of the file, so entries of earlier runs stay readable.
 */
export class AuditLog {
  private readonly recent: AuditEntry[] = [];
  private handle: FileHandle | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly memoryEntries: number,
    private readonly onWriteError: (error: unknown) => void,
  ) {}

  /** Opens the file for appending and reads its tail into memory. */
  async open(): Promise<void> {
    if (this.file === undefined) return;
    await mkdir(dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer.toString('utf8').split('\n');
      if (length < size) lines.shift(); // a partial first line
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.remember(JSON.parse(line) as AuditEntry);
        } catch {
          // A torn line from a crash: the file keeps it, the window skips it.
        }
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.handle = handle;
  }

  /** Records an entry: in memory at once, in the file in call order. Resolves once written. */
  record(entry: AuditEntry): Promise<void> {
    this.remember(entry);
    const handle = this.handle;
    if (handle === undefined) return Promise.resolve();
    const line = `${JSON.stringify(entry)}\n`;
    this.writes = this.writes.then(() => handle.appendFile(line, 'utf8')).catch((err: unknown) => this.onWriteError(err));
    return this.writes;
  }

  /** Recent entries, newest first. */
  list(query: AuditQuery): AuditEntry[] {
    const out: AuditEntry[] = [];
    const oldest = Math.max(0, this.recent.length - this.memoryEntries);
    for (let i = this.recent.length - 1; i >= oldest && out.length < query.limit; i--) {
      const e = this.recent[i]!;
      if (query.who !== undefined && e.who !== query.who) continue;
      if (query.operation !== undefined && e.operation !== query.operation) continue;
      out.push(e);
    }
    return out;
  }

  /** Waits for pending writes and closes the file. */
  async close(): Promise<void> {
    await this.writes;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private remember(entry: AuditEntry): void {
    this.recent.push(entry);
    // Trim in batches so each record stays O(1) amortised; list() reads only the last window.
    if (this.recent.length > 2 * this.memoryEntries) this.recent.splice(0, this.recent.length - this.memoryEntries);
  }
}
