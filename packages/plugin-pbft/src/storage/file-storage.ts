/**
 * The replica log on disk: append-only segment files with CRC-checked records and fsync. A new
 * segment starts at every stable checkpoint — it opens with the checkpoint (snapshot + proof) and
 * what is still live above it — and older segments are then deleted, so the log stays about one
 * checkpoint interval long.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PbftError, PbftErrorCode } from '../errors.js';
import { decodeRecords, encodeRecord } from './records.js';
import { checkpointRecords, foldRecords, type CheckpointCarry, type LogRecord, type RecoveredState, type ReplicaStorage, type StoredCheckpoint, type StoredCommitted, type StoredPrepared } from './storage.js';

const SEGMENT = /^segment-(\d{16})\.log$/;
const segmentName = (seq: number) => `segment-${String(seq).padStart(16, '0')}.log`;

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** fsync after writes (default true). */
  readonly fsync?: boolean;
  /** Told about a torn tail that was cut off, or a segment that was skipped. */
  readonly onRepair?: (problem: string) => void;
}

/** A {@link ReplicaStorage} in a directory. */
export class FileStorage implements ReplicaStorage {
  private fd: number | undefined;
  private buffered: Buffer[] = [];
  private readonly fsync: boolean;

  constructor(
    private readonly dir: string,
    private readonly options: FileStorageOptions = {},
  ) {
    this.fsync = options.fsync ?? true;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw this.failure(`cannot create data directory ${dir}`, err);
    }
  }

  get dirty(): boolean {
    return this.buffered.length > 0;
  }

  private failure(what: string, cause: unknown): PbftError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new PbftError(PbftErrorCode.Storage, `${what}: ${reason}; check the data_dir permissions and free space`, { cause });
  }

  private segments(): { name: string; seq: number }[] {
    return readdirSync(this.dir)
      .map((name) => ({ name, m: SEGMENT.exec(name) }))
      .filter((s): s is { name: string; m: RegExpExecArray } => s.m !== null)
      .map((s) => ({ name: s.name, seq: Number(s.m[1]) }))
      .sort((a, b) => b.seq - a.seq);
  }

  load(): RecoveredState {
    try {
      for (const segment of this.segments()) {
        const path = join(this.dir, segment.name);
        const bytes = readFileSync(path);
        const { records, validBytes, problem } = decodeRecords(bytes);
        const first = records[0];
        if (segment.seq > 0 && (first?.kind !== 'checkpoint' || first.record.seq !== segment.seq)) {
          this.options.onRepair?.(`segment ${segment.name} does not start with its checkpoint; using an older segment`);
          continue;
        }
        if (problem !== undefined) {
          this.options.onRepair?.(`${segment.name}: ${problem}; cutting the log at byte ${validBytes} (a write torn by a crash)`);
          const fd = openSync(path, 'r+');
          ftruncateSync(fd, validBytes);
          fsyncSync(fd);
          closeSync(fd);
        }
        this.fd = openSync(path, 'a');
        return foldRecords(records);
      }
      this.fd = openSync(join(this.dir, segmentName(0)), 'a');
      return foldRecords([]);
    } catch (err) {
      if (err instanceof PbftError) throw err;
      throw this.failure(`cannot read the replica log in ${this.dir}`, err);
    }
  }

  private append(record: LogRecord): void {
    this.buffered.push(encodeRecord(record));
  }

  recordView(view: number): void {
    this.append({ kind: 'view', view });
    this.sync();
  }

  recordPrepared(record: StoredPrepared): void {
    this.append({ kind: 'prepared', record });
  }

  recordCommitted(record: StoredCommitted): void {
    this.append({ kind: 'committed', record });
  }

  recordCheckpoint(checkpoint: StoredCheckpoint, carry: CheckpointCarry): void {
    this.sync();
    const final = join(this.dir, segmentName(checkpoint.seq));
    const temp = `${final}.tmp`;
    try {
      const fd = openSync(temp, 'w');
      writeSync(fd, Buffer.concat(checkpointRecords(checkpoint, carry).map(encodeRecord)));
      if (this.fsync) fsyncSync(fd);
      closeSync(fd);
      renameSync(temp, final);
      this.syncDirectory();
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = openSync(final, 'a');
      for (const old of this.segments()) if (old.seq < checkpoint.seq) rmSync(join(this.dir, old.name), { force: true });
    } catch (err) {
      throw this.failure(`cannot write checkpoint ${checkpoint.seq} to ${this.dir}`, err);
    }
  }

  private syncDirectory(): void {
    if (!this.fsync) return;
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  sync(): void {
    if (this.buffered.length === 0) return;
    if (this.fd === undefined) throw new PbftError(PbftErrorCode.Storage, `the replica log in ${this.dir} is not open; load() must run first`);
    const bytes = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    this.buffered = [];
    try {
      writeSync(this.fd, bytes);
      if (this.fsync) fsyncSync(this.fd);
    } catch (err) {
      throw this.failure(`cannot append to the replica log in ${this.dir}`, err);
    }
  }

  /** Drops unsynced records and closes the file without writing them (a crash, in simulations). */
  crash(): void {
    this.buffered = [];
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.sync();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
