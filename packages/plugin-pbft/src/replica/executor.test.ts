import { describe, expect, it } from 'vitest';
import { createKeyValueStateMachine } from '../state-machines/key-value.js';
import { Executor } from './executor.js';

const at = { sequence: 1, view: 0, timestamp: 1000 };
const request = (client: string, timestamp: number, operation: unknown, namespace = 'kv') => ({ request: { client, timestamp, namespace, operation: operation as never } });

function executor() {
  const e = new Executor();
  e.register('kv', createKeyValueStateMachine());
  return e;
}

describe('executor', () => {
  it('executes each (client, timestamp) once and keeps the last reply per client', () => {
    const e = executor();
    const first = e.execute([request('n/0', 5, { op: 'set', key: 'a', value: 1 }), request('n/0', 5, { op: 'set', key: 'a', value: 1 })], at);
    expect(first.map((o) => o.reply)).toEqual([{ client: 'n/0', timestamp: 5, result: { value: 1 } }, undefined]);
    // An older timestamp of the same client is not executed either.
    expect(e.execute([request('n/0', 4, { op: 'set', key: 'a', value: 9 })], at)[0]!.reply).toBeUndefined();
    expect(e.cachedReply('n/0', 5)).toEqual({ client: 'n/0', timestamp: 5, result: { value: 1 } });
    expect(e.cachedReply('n/0', 4)).toBeUndefined();
    expect(e.execute([request('n/1', 1, { op: 'get', key: 'a' })], at)[0]!.reply).toMatchObject({ result: { value: 1 } });
  });

  it('answers agreed rejections, unknown namespaces and throwing state machines with errors', () => {
    const e = executor();
    e.register('boom', { apply: () => { throw new Error('kaput'); }, snapshot: () => new Uint8Array(), restore: () => undefined });
    const out = e.execute(
      [
        { ...request('n/0', 1, { op: 'nope' }), rejection: { code: 'E_CONSENSUS_INVALID', message: 'bad op' } },
        request('n/1', 1, {}, 'missing'),
        request('n/2', 1, {}, 'boom'),
      ],
      at,
    );
    expect(out.map((o) => o.reply && 'error' in o.reply && o.reply.error.code)).toEqual(['E_CONSENSUS_INVALID', 'E_CONSENSUS_NAMESPACE', 'E_PBFT_APPLY_FAILED']);
    expect(out.every((o) => o.committed === undefined)).toBe(true);
  });

  it('passes the agreed position and the request identity to apply', () => {
    const e = new Executor();
    const seen: unknown[] = [];
    e.register('ctx', { apply: (_op, context) => (seen.push(context), null), snapshot: () => new Uint8Array(), restore: () => undefined });
    e.execute([request('n/0', 7, 1, 'ctx'), request('n/1', 9, 2, 'ctx')], { sequence: 4, view: 2, timestamp: 55 });
    expect(seen).toEqual([
      { sequence: 4, index: 0, view: 2, clientId: 'n/0', timestamp: 55, requestTimestamp: 7 },
      { sequence: 4, index: 1, view: 2, clientId: 'n/1', timestamp: 55, requestTimestamp: 9 },
    ]);
  });

  it('snapshots deterministically and restores state and reply cache elsewhere', () => {
    const a = executor();
    const b = executor();
    a.execute([request('x/0', 1, { op: 'set', key: 'k2', value: [1, { z: 1, a: 2 }] }), request('y/0', 3, { op: 'set', key: 'k1', value: 'v' })], at);
    b.execute([request('y/0', 3, { op: 'set', key: 'k1', value: 'v' }), request('x/0', 1, { op: 'set', key: 'k2', value: [1, { a: 2, z: 1 }] })], at);
    expect(Buffer.from(a.snapshot()).toString()).toBe(Buffer.from(b.snapshot()).toString());
    const c = executor();
    c.restore(a.snapshot());
    expect(c.lastTimestamp('y/0')).toBe(3);
    expect(c.execute([request('c/0', 1, { op: 'get', key: 'k1' })], at)[0]!.reply).toMatchObject({ result: { value: 'v' } });
  });

  it('refuses a snapshot whose namespaces differ, and a namespace registered twice', () => {
    const a = executor();
    const other = new Executor();
    expect(() => other.restore(a.snapshot())).toThrow(/namespaces \[kv\] but this node registered \[\]/);
    expect(() => a.register('kv', createKeyValueStateMachine())).toThrow(/already registered under 'kv'/);
  });
});

describe('key-value state machine', () => {
  it('answers set, get and delete with { value }', () => {
    const kv = createKeyValueStateMachine();
    const ctx = { sequence: 1, index: 0, view: 0, clientId: 'c/0', timestamp: 0, requestTimestamp: 1 };
    expect(kv.apply({ op: 'get', key: 'a' }, ctx)).toEqual({ value: null });
    expect(kv.apply({ op: 'set', key: 'a', value: { deep: [1] } }, ctx)).toEqual({ value: { deep: [1] } });
    expect(kv.apply({ op: 'get', key: 'a' }, ctx)).toEqual({ value: { deep: [1] } });
    expect(kv.apply({ op: 'delete', key: 'a' }, ctx)).toEqual({ value: { deep: [1] } });
    expect(kv.read('a')).toBeUndefined();
  });

  it('validates the shape of operations', () => {
    const kv = createKeyValueStateMachine();
    expect(kv.validate!({ op: 'set', key: 'a', value: null })).toEqual({ valid: true });
    expect(kv.validate!({ op: 'set', key: 'a' } as never)).toMatchObject({ valid: false });
    expect(kv.validate!({ op: 'rename', key: 'a' } as never)).toMatchObject({ valid: false, reason: expect.stringContaining("'set', 'get' or 'delete'") });
    expect(kv.validate!({ op: 'get', key: '' })).toMatchObject({ valid: false });
  });
});
