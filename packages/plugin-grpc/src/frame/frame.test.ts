import { describe, expect, it } from 'vitest';
import { channelBytes, decodeFrame, encodeBatch, encodeFrame, isBatch, MAX_CHANNEL_BYTES, splitBatch } from './frame.js';

describe('frames', () => {
  it('round-trips a channel and payload, copying the payload', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const frame = encodeFrame(channelBytes('pbft/prepare')!, payload);
    payload[0] = 9;
    const decoded = decodeFrame(frame);
    expect(decoded).toEqual({ ok: true, channel: 'pbft/prepare', payload: new Uint8Array([1, 2, 3]) });
  });

  it('carries empty payloads and multi-byte channel names', () => {
    const decoded = decodeFrame(encodeFrame(channelBytes('κανάλι')!, new Uint8Array()));
    expect(decoded.ok && decoded.channel).toBe('κανάλι');
    expect(decoded.ok && decoded.payload.byteLength).toBe(0);
  });

  it('refuses channel names that are empty or longer than 255 bytes', () => {
    expect(channelBytes('')).toBeUndefined();
    expect(channelBytes('x'.repeat(MAX_CHANNEL_BYTES))).toBeDefined();
    expect(channelBytes('x'.repeat(MAX_CHANNEL_BYTES + 1))).toBeUndefined();
    expect(channelBytes('é'.repeat(128))).toBeUndefined(); // 256 bytes of UTF-8
  });

  it.each([
    ['empty', []],
    ['unknown-kind', [7, 1, 0x61]],
    ['truncated', [1]],
    ['truncated', [1, 5, 0x61, 0x62]],
    ['bad-channel', [1, 0]],
    ['bad-channel', [1, 2, 0xff, 0xfe, 0x00]],
  ] as const)('reports a %s frame instead of throwing (%j)', (problem, bytes) => {
    expect(decodeFrame(Buffer.from(bytes))).toEqual({ ok: false, problem });
  });

  it('packs frames into a batch and splits them back in order', () => {
    const frames = ['a', 'bb', 'ccc'].map((c, i) => encodeFrame(channelBytes(c)!, new Uint8Array([i])));
    const batch = encodeBatch(frames);
    expect(isBatch(batch)).toBe(true);
    expect(isBatch(frames[0]!)).toBe(false);
    const out: string[] = [];
    expect(
      splitBatch(batch, (f) => {
        const d = decodeFrame(f);
        if (d.ok) out.push(`${d.channel}:${d.payload[0]}`);
      }),
    ).toBe(true);
    expect(out).toEqual(['a:0', 'bb:1', 'ccc:2']);
  });

  it('stops at a batch whose length runs past its end', () => {
    const batch = encodeBatch([encodeFrame(channelBytes('a')!, new Uint8Array([1]))]);
    const broken = Buffer.concat([batch, Buffer.from([0, 0, 0, 9, 1])]);
    let delivered = 0;
    expect(splitBatch(broken, () => delivered++)).toBe(false);
    expect(delivered).toBe(1);
  });
});
