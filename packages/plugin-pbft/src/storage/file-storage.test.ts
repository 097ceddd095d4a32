import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStorage } from './file-storage.js';
import { MemoryStorage, type ReplicaStorage, type StoredPrepared } from './storage.js';

const bytes = (...v: number[]) => new Uint8Array(v);
const prepared = (seq: number, view: number): StoredPrepared => ({ seq, view, digest: `${seq}`.padStart(64, '0'), prePrepare: bytes(seq, view), prepares: [bytes(1), bytes(2)] });
const committed = (seq: number) => ({ seq, view: 0, digest: `${seq}`.padStart(64, 'c'), batch: bytes(9, seq), commits: [bytes(seq)] });

describe.each([
  ['FileStorage', (dir: string) => new FileStorage(dir, { fsync: true })],
  ['MemoryStorage', () => new MemoryStorage()],
] as const)('%s', (name, make) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pbft-storage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const reopen = (s: ReplicaStorage): ReplicaStorage => (name === 'MemoryStorage' ? s : make(dir));

  it('gives back the view, the latest prepared certificate per seq and committed batches', () => {
    const s = make(dir);
    expect(s.load()).toEqual({ view: undefined, checkpoint: undefined, prepared: [], committed: [] });
    s.recordView(0);
    s.recordPrepared(prepared(1, 0));
    s.recordPrepared(prepared(1, 2));
    s.recordPrepared(prepared(2, 0));
    s.recordCommitted(committed(1));
    s.recordView(3);
    s.sync();
    s.close();
    const back = reopen(s).load();
    expect(back.view).toBe(3);
    expect(back.prepared.map((p) => [p.seq, p.view])).toEqual([
      [1, 2],
      [2, 0],
    ]);
    expect(back.committed).toEqual([committed(1)]);
  });

  it('a stable checkpoint drops what it covers and keeps what lies above it', () => {
    const s = make(dir);
    s.load();
    for (let seq = 1; seq <= 6; seq++) s.recordCommitted(committed(seq));
    s.sync();
    s.recordCheckpoint({ seq: 4, digest: 'd'.repeat(64), snapshot: bytes(4, 4, 4), proof: [bytes(7)] }, { view: 1, prepared: [prepared(5, 1)], committed: [committed(5), committed(6)] });
    s.recordCommitted(committed(7));
    s.sync();
    s.close();
    const back = reopen(s).load();
    expect(back.checkpoint).toEqual({ seq: 4, digest: 'd'.repeat(64), snapshot: bytes(4, 4, 4), proof: [bytes(7)] });
    expect(back.committed.map((c) => c.seq)).toEqual([5, 6, 7]);
    expect(back.prepared.map((p) => p.seq)).toEqual([5]);
    expect(back.view).toBe(1);
    if (name === 'FileStorage') expect(readdirSync(dir)).toEqual(['segment-0000000000000004.log']);
  });

  it('a crash loses only what was never synced', () => {
    const s = make(dir);
    s.load();
    s.recordCommitted(committed(1));
    s.sync();
    s.recordCommitted(committed(2));
    (s as MemoryStorage | FileStorage).crash();
    const back = reopen(s).load();
    expect(back.committed.map((c) => c.seq)).toEqual([1]);
  });
});

describe('FileStorage on a damaged disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pbft-storage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts a torn or corrupted tail, reports it, and keeps appending after the last good record', () => {
    const s = new FileStorage(dir);
    s.load();
    s.recordCommitted(committed(1));
    s.recordCommitted(committed(2));
    s.sync();
    s.close();
    const file = join(dir, 'segment-0000000000000000.log');
    const good = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 50, 1, 2, 3]));
    const repairs: string[] = [];
    const again = new FileStorage(dir, { onRepair: (p) => repairs.push(p) });
    expect(again.load().committed.map((c) => c.seq)).toEqual([1, 2]);
    expect(repairs[0]).toMatch(/runs past the end|cut short/);
    expect(statSync(file).size).toBe(good);
    again.recordCommitted(committed(3));
    again.close();
    expect(new FileStorage(dir).load().committed.map((c) => c.seq)).toEqual([1, 2, 3]);
    // A flipped byte inside the second record fails its CRC: the log ends before it.
    const raw = readFileSync(file);
    raw[raw.length - 3]! ^= 0xff;
    writeFileSync(file, raw);
    expect(new FileStorage(dir, { onRepair: (p) => repairs.push(p) }).load().committed.map((c) => c.seq)).toEqual([1, 2]);
    expect(repairs.at(-1)).toMatch(/CRC-32/);
  });

  it('falls back to an older segment when the newest does not start with its checkpoint', () => {
    const s = new FileStorage(dir);
    s.load();
    s.recordCommitted(committed(1));
    s.sync();
    s.close();
    writeFileSync(join(dir, 'segment-0000000000000008.log'), Buffer.alloc(0));
    const back = new FileStorage(dir, { onRepair: () => undefined }).load();
    expect(back.committed.map((c) => c.seq)).toEqual([1]);
  });
});
