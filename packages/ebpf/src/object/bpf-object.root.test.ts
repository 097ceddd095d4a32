import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { detachSocketFilter } from '../attach/socket-filter.js';
import { removeClsact } from '../attach/tc.js';
import { xdpQuery } from '../attach/xdp.js';
import { BpfLink } from '../attach/link.js';
import { EbpfError } from '../errors.js';
import { ensureBpffs, isBpffs } from '../fs/bpffs.js';
import { bytes, struct, u32, u64 } from '../layout/layout.js';
import { RawBpfMap, possibleCpus } from '../maps/raw-map.js';
import { UpdateFlag } from '../maps/map-types.js';
import type { DnsFilterStats } from '../programs/dns-filter.js';
import { blockEntry, dnsFilterStats, hmAddr, rateLimitKey, rateLimitPolicy } from '../programs/layouts.js';
import { shippedObjectPath } from '../programs/objects.js';
import { enableRunStatistics } from '../system/run-statistics.js';
import { createVethNamespace, rootSkipReason, type VethNamespace } from '../testing/netns.js';
import { udpFrame } from '../testing/packets.js';
import { BpfObject } from './bpf-object.js';

const skip = rootSkipReason();
if (skip) console.log(`skipping the libbpf binding suite: ${skip}`);

const rejectObject = fileURLToPath(new URL('../../bpf/test/obj/verifier_reject.bpf.o', import.meta.url));
const addr = (n: number) => ({ bytes: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, n >> 8, n & 0xff]) });

describe.skipIf(!!skip)('libbpf bindings', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const open = (name: 'dns_filter' | 'flow_stats' | 'examples/packet_counter') => {
    const obj = BpfObject.open(shippedObjectPath(name));
    cleanups.push(() => obj.close());
    return obj;
  };
  const namespace = async (): Promise<VethNamespace> => {
    const ns = await createVethNamespace();
    cleanups.push(() => ns.remove());
    return ns;
  };

  it('opens and loads an object and lists its programs and maps', () => {
    const obj = open('dns_filter');
    expect(obj.loaded).toBe(false);
    expect(() => obj.map('blocklist').fd).toThrow('has no fd until the object is loaded');
    obj.load();
    expect(obj.programs().map((p) => [p.name, p.section, p.type])).toEqual([['dns_filter', 'xdp', 'xdp']]);
    expect(obj.map('dns_cache').info).toEqual({ name: 'dns_cache', type: 'lru_hash', keySize: 132, valueSize: 152, maxEntries: 65536 });
    expect(obj.maps().map((m) => m.info.name)).toContain('events');
    expect(() => obj.program('nope')).toThrow("BPF object 'dns_filter' has no program 'nope'; it has: dns_filter");
    obj.close();
    expect(() => obj.program('dns_filter').fd).toThrow(expect.objectContaining({ code: 'E_EBPF_CLOSED' }));
  });

  it('turns a verifier rejection into E_EBPF_VERIFIER carrying the log', () => {
    const obj = BpfObject.open(rejectObject);
    cleanups.push(() => obj.close());
    let error: unknown;
    try {
      obj.load();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EbpfError);
    const e = error as EbpfError;
    expect(e.code).toBe('E_EBPF_VERIFIER');
    expect(e.errnoName).toBe('EACCES');
    expect(e.message).toContain("the verifier rejected program 'unchecked_read'");
    expect(e.verifierLog).toContain('invalid access to packet');
    expect(e.verifierLog).toContain('processed');
    expect(e.libbpfLog.join('')).toContain('failed to load');
  });

  it('reports an unreadable object as E_EBPF_OPEN with errno', () => {
    expect(() => BpfObject.open('/nonexistent/x.bpf.o')).toThrow(expect.objectContaining({ code: 'E_EBPF_OPEN', errnoName: 'ENOENT' }));
  });

  it('keeps verifier statistics when asked, and counts runs while run statistics are on', () => {
    const obj = open('dns_filter').load({ logLevel: 4 });
    const program = obj.program('dns_filter');
    expect(program.verifierLog).toMatch(/processed \d+ insns/);
    const stats = enableRunStatistics();
    cleanups.push(() => stats.close());
    const frame = udpFrame({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 1, dstPort: 2, payload: Buffer.alloc(4) });
    const before = program.statistics();
    for (let i = 0; i < 10; i++) expect(program.testRun({ data: frame }).retval).toBe(2); // XDP_PASS
    const after = program.statistics();
    expect(after.runCount - before.runCount).toBe(10);
    expect(after.runTimeNs).toBeGreaterThan(before.runTimeNs);
    // a regression guard: a single label-walking loop once took the verifier to its 1M limit
    expect(after.verifiedInstructions).toBeGreaterThan(1_000);
    expect(after.verifiedInstructions).toBeLessThan(100_000);
  });

  it('reads and writes typed maps: lookup, update flags, delete, iterate, batches, per-CPU', () => {
    const obj = open('dns_filter').load();
    const blocklist = obj.map('blocklist').typed(hmAddr, blockEntry);
    blocklist.update(addr(1), { expires_at_ns: 5n, dropped: 0n });
    expect(blocklist.lookup(addr(1))).toEqual({ expires_at_ns: 5n, dropped: 0n });
    expect(blocklist.lookup(addr(2))).toBeUndefined();
    expect(() => blocklist.update(addr(1), { expires_at_ns: 6n, dropped: 0n }, UpdateFlag.NoExist)).toThrow(
      expect.objectContaining({ code: 'E_EBPF_MAP', errnoName: 'EEXIST' }),
    );
    blocklist.updateBatch(Array.from({ length: 300 }, (_, i) => [addr(i), { expires_at_ns: BigInt(i), dropped: 1n }] as const));
    const entries = blocklist.entries();
    expect(entries.length).toBe(300);
    expect(new Set(entries.map(([k, v]) => `${k.bytes[14]}.${k.bytes[15]}:${v.expires_at_ns}`)).size).toBe(300);
    expect([...blocklist.keys()].length).toBe(300);
    expect(blocklist.deleteBatch([addr(1), addr(2)])).toBe(2);
    expect(blocklist.deleteBatch([addr(3), addr(1), addr(4)])).toBe(2); // addr(1) is gone: skipped
    expect(blocklist.delete(addr(1))).toBe(false);
    expect(blocklist.clear()).toBe(296);
    expect(blocklist.entries()).toEqual([]);

    // an LPM trie has no batch operations: entries() walks the keys instead
    const limits = obj.map('rate_limits').typed(rateLimitKey, rateLimitPolicy);
    limits.update({ prefixlen: 120, addr: addr(0) }, { qps: 10, burst: 10 });
    expect(limits.entries()).toEqual([[{ prefixlen: 120, addr: addr(0) }, { qps: 10, burst: 10 }]]);

    // per-CPU: one value per possible CPU, written per CPU and read back
    const stats = obj.map('dns_stats').perCpuTyped(u32, dnsFilterStats);
    const zero = stats.lookup(0)?.[0] as DnsFilterStats;
    stats.update(0, Array.from({ length: possibleCpus() }, (_, cpu) => ({ ...zero, packets: BigInt(cpu + 1) })));
    expect(stats.lookup(0)?.map((s) => s.packets)).toEqual(Array.from({ length: possibleCpus() }, (_, cpu) => BigInt(cpu + 1)));
    expect(stats.sum(0, (x, y) => ({ ...x, packets: x.packets + y.packets }))?.packets).toBe(BigInt((possibleCpus() * (possibleCpus() + 1)) / 2));
  });

  it('refuses a layout whose size differs from the map (TS and C drifted apart)', () => {
    const obj = open('dns_filter').load();
    expect(() => obj.map('blocklist').typed(hmAddr, struct('block_entry', { expires_at_ns: u64 }))).toThrow(
      "map 'blocklist' has 16-byte values but the layout struct block_entry is 8 bytes",
    );
    expect(() => obj.map('dns_stats').typed(u32, bytes(80))).toThrow('use perCpu() to get one value per CPU');
  });

  it('pins maps and links on a bpffs it mounts when missing, and they outlive their object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hm-bpffs-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(isBpffs(dir)).toBe(false);
    expect(ensureBpffs(dir)).toEqual({ path: dir, mounted: true });
    cleanups.push(() => execFileSync('umount', [dir]));
    expect(ensureBpffs(dir).mounted).toBe(false);

    const ns = await namespace();
    const obj = open('dns_filter').load();
    obj.map('blocklist').typed(hmAddr, blockEntry).update(addr(9), { expires_at_ns: 99n, dropped: 0n });
    obj.map('blocklist').pin(join(dir, 'blocklist'));
    const link = obj.program('dns_filter').attachXdp(ns.hostIf) as BpfLink;
    link.pin(join(dir, 'link'));
    const id = xdpQuery(ns.hostIf).programIds.generic;
    expect(id).toBeGreaterThan(0);
    link.close();
    obj.close();

    // the object is gone; the pinned map still holds its entry and the pinned link its program
    const pinned = RawBpfMap.fromPinned(join(dir, 'blocklist'));
    cleanups.push(() => pinned.close());
    expect(pinned.info).toMatchObject({ name: 'blocklist', type: 'hash', keySize: 16, valueSize: 16 });
    expect(pinned.typed(hmAddr, blockEntry).lookup(addr(9))).toEqual({ expires_at_ns: 99n, dropped: 0n });
    expect(xdpQuery(ns.hostIf)).toEqual({ attached: 'generic', programIds: { generic: id, native: 0, offload: 0 } });
    BpfLink.fromPinned(join(dir, 'link')).detach();
    expect(xdpQuery(ns.hostIf).attached).toBe('none');
    expect(() => RawBpfMap.fromPinned(join(dir, 'nothing'))).toThrow(expect.objectContaining({ code: 'E_EBPF_BPFFS', errnoName: 'ENOENT' }));
  });

  it('attaches XDP through links (detached on close) and netlink (replace semantics), generic and native', async () => {
    const ns = await namespace();
    const a = open('dns_filter').load().program('dns_filter');
    const b = open('examples/packet_counter').load().program('count_packets');

    const link = a.attachXdp(ns.hostIf, { mode: 'generic' }) as BpfLink;
    expect(() => b.attachXdp(ns.hostIf, { mode: 'generic' })).toThrow(expect.objectContaining({ code: 'E_EBPF_ATTACH', errnoName: 'EBUSY' }));
    const aId = xdpQuery(ns.hostIf).programIds.generic;
    link.update(b.fd); // atomic replacement through the link
    expect(xdpQuery(ns.hostIf).programIds.generic).not.toBe(aId);
    link.close();
    expect(xdpQuery(ns.hostIf).attached).toBe('none');

    const first = a.attachXdp(ns.hostIf, { via: 'netlink' });
    expect(() => b.attachXdp(ns.hostIf, { via: 'netlink' })).toThrow(expect.objectContaining({ code: 'E_EBPF_ATTACH' }));
    const second = b.attachXdp(ns.hostIf, { via: 'netlink', replace: a.fd });
    expect(xdpQuery(ns.hostIf).programIds.generic).not.toBe(aId);
    first.detach(); // no longer attached: leaves b alone
    expect(xdpQuery(ns.hostIf).attached).toBe('generic');
    second.detach();
    expect(xdpQuery(ns.hostIf).attached).toBe('none');

    const native = a.attachXdp(ns.hostIf, { mode: 'native' });
    expect(xdpQuery(ns.hostIf).attached).toBe('native');
    native.detach();
    expect(() => a.attachXdp('hm-no-such-if')).toThrow(expect.objectContaining({ code: 'E_EBPF_INTERFACE' }));
  });

  it('attaches TC programs through TCX links and clsact filters, ingress and egress', async () => {
    const ns = await namespace();
    const program = open('flow_stats').load().program('flow_stats');
    // TCX links need Linux 6.6; 'auto' falls back to a clsact filter before that
    const [major = 0, minor = 0] = release().split('.').map(Number);
    const tcx = program.attachTc(ns.hostIf, { via: major > 6 || (major === 6 && minor >= 6) ? 'tcx' : 'auto', direction: 'ingress' });
    if (major > 6 || (major === 6 && minor >= 6)) expect(tcx).toBeInstanceOf(BpfLink);
    const egress = program.attachTc(ns.hostIf, { via: 'clsact', direction: 'egress' });
    const filters = () => execFileSync('tc', ['filter', 'show', 'dev', ns.hostIf, 'egress'], { encoding: 'utf8' });
    expect(filters()).toContain('flow_stats');
    egress.detach();
    expect(filters()).not.toContain('flow_stats');
    tcx.detach();
    removeClsact(ns.hostIf);
    expect(execFileSync('tc', ['qdisc', 'show', 'dev', ns.hostIf], { encoding: 'utf8' })).not.toContain('clsact');
  });

  it('attaches a socket filter that counts and truncates what reaches a UDP socket', async () => {
    const obj = open('examples/packet_counter').load();
    const state = obj.map('socket_state').typed(u32, u64);
    const receiver = createSocket('udp4');
    const sender = createSocket('udp4');
    cleanups.push(() => receiver.close(), () => sender.close());
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', () => resolve()));
    const fd = (receiver as unknown as { _handle: { fd: number } })._handle.fd;
    obj.program('count_socket').attachSocketFilter(fd);
    state.update(1, 8n + 4n); // keep the UDP header and 4 bytes of payload
    const received = (payload: string) =>
      new Promise<Buffer>((resolve) => {
        receiver.once('message', (msg) => resolve(msg));
        sender.send(payload, receiver.address().port, '127.0.0.1');
      });
    expect((await received('hello world')).toString()).toBe('hell');
    expect(state.lookup(0)).toBe(1n);
    detachSocketFilter(fd);
    expect((await received('hello again')).toString()).toBe('hello again');
    expect(state.lookup(0)).toBe(1n);
  });
});
