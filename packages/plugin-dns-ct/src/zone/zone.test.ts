import { systemClock } from '@hypermesh/runtime';
import { describe, expect, it } from 'vitest';
import { TypeCode } from '../wire/record-types.js';
import { parseZoneFile } from './zone-file.js';
import { createZoneMachine } from './zone-machine.js';
import { toZoneEntry } from './zone-records.js';
import { ZoneStore } from './zone-store.js';
import { createServiceZone } from './service-zone.js';

const apex = { domain: 'hypermesh.local', defaultTtl: 30, nameservers: [] };

function zoneWith(...records: Parameters<typeof toZoneEntry>[0][]) {
  const store = new ZoneStore(apex);
  store.upsert(records.map((r) => toZoneEntry(r, apex.domain, 30)));
  return store;
}

describe('service-discovery zone', () => {
  it('answers authoritatively, with NXDOMAIN and NODATA done right (RFC 2308, RFC 8020)', () => {
    const store = zoneWith(
      { name: 'echo.svc', type: 'A', data: '10.0.0.1' },
      { name: 'echo.svc', type: 'A', data: '10.0.0.2' },
      { name: '_http._tcp.echo.svc', type: 'SRV', data: { priority: 0, weight: 1, port: 8080, target: 'echo.svc' } },
    );
    expect(store.lookup('echo.svc.hypermesh.local', TypeCode.A)?.answers.map((r) => r.data)).toEqual(['10.0.0.1', '10.0.0.2']);
    const srv = store.lookup('_http._tcp.echo.svc.hypermesh.local', TypeCode.SRV)!;
    expect(srv.additionals.map((r) => r.data)).toEqual(['10.0.0.1', '10.0.0.2']);
    // NODATA: the name exists, not the type
    expect(store.lookup('echo.svc.hypermesh.local', TypeCode.AAAA)).toMatchObject({ rcode: 'NOERROR', answers: [], authorities: [{ type: 'SOA' }] });
    // an empty non-terminal exists too
    expect(store.lookup('svc.hypermesh.local', TypeCode.A)).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(store.lookup('_tcp.echo.svc.hypermesh.local', TypeCode.A)?.rcode).toBe('NOERROR');
    expect(store.lookup('nope.svc.hypermesh.local', TypeCode.A)).toMatchObject({ rcode: 'NXDOMAIN', authorities: [{ type: 'SOA' }] });
    expect(store.lookup('example.org', TypeCode.A)).toBeUndefined();
    expect(store.lookup('hypermesh.local', TypeCode.SOA)?.answers[0]).toMatchObject({ type: 'SOA', data: { mname: 'ns.hypermesh.local', minimum: 30 } });
    expect(store.lookup('hypermesh.local', TypeCode.NS)?.answers[0]).toMatchObject({ type: 'NS', data: 'ns.hypermesh.local' });
    // RFC 8482: ANY gets one RRset
    expect(store.lookup('echo.svc.hypermesh.local', TypeCode.ANY)?.answers.map((r) => r.type)).toEqual(['A', 'A']);
    store.remove('echo.svc.hypermesh.local');
    store.remove('_http._tcp.echo.svc.hypermesh.local');
    expect(store.lookup('svc.hypermesh.local', TypeCode.A)?.rcode).toBe('NXDOMAIN');
  });

  it('replaces an RRset on upsert and tracks names bound to certificates', () => {
    const store = zoneWith({ name: 'api', type: 'A', data: '10.0.0.1', tls: true });
    store.upsert([toZoneEntry({ name: 'api', type: 'A', data: '10.0.0.9', tls: true }, apex.domain, 30)]);
    expect(store.lookup('api.hypermesh.local', TypeCode.A)?.answers.map((r) => r.data)).toEqual(['10.0.0.9']);
    expect(store.binding('api.hypermesh.local')).toEqual(new Set());
    store.upsert([toZoneEntry({ name: '_8443._tcp.web', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('ab', 'hex') } }, apex.domain, 30)]);
    expect(store.binding('web.hypermesh.local')).toEqual(new Set([8443]));
    store.remove('_8443._tcp.web.hypermesh.local');
    expect(store.binding('web.hypermesh.local')).toBeUndefined();
  });

  it('rejects records outside the domain or with bad data, with the reason', () => {
    expect(() => toZoneEntry({ name: 'evil.example.org.', type: 'A', data: '10.0.0.1' }, apex.domain, 30)).toThrow(/inside the cluster domain 'hypermesh.local'/);
    expect(() => toZoneEntry({ name: 'a', type: 'A', data: '2001:db8::1' }, apex.domain, 30)).toThrow(/IPv4 address/);
    expect(() => toZoneEntry({ name: 'a', type: 'SRV', data: { priority: 1 } as never }, apex.domain, 30)).toThrow(/priority, weight, port, target/);
  });

  it('replicates deterministically: equal changes give equal snapshots, restore reproduces the zone', () => {
    const a = new ZoneStore(apex);
    const b = new ZoneStore(apex);
    const ctx = { sequence: 1, index: 0, view: 0, clientId: 'n1', timestamp: 0 };
    const ops = [
      { op: 'upsert', records: [toZoneEntry({ name: 'x', type: 'TXT', data: ['hello'] }, apex.domain, 30), toZoneEntry({ name: 'y', type: 'AAAA', data: '2001:DB8::1' }, apex.domain, 30)] },
      { op: 'remove', name: 'x.hypermesh.local', type: 'TXT' },
    ];
    const ma = createZoneMachine(a);
    const mb = createZoneMachine(b);
    for (const op of ops) {
      expect(ma.validate!(op as never)).toEqual({ valid: true });
      ma.apply(op as never, ctx);
      mb.apply(op as never, ctx);
    }
    expect(Buffer.from(ma.snapshot())).toEqual(Buffer.from(mb.snapshot()));
    const c = new ZoneStore(apex);
    createZoneMachine(c).restore(ma.snapshot());
    expect(c.lookup('y.hypermesh.local', TypeCode.AAAA)?.answers[0]?.data).toBe('2001:db8::1');
    expect(c.serial).toBe(a.serial);
    expect(ma.validate!({ op: 'upsert', records: [{ name: 'y.hypermesh.local', type: 'AAAA', ttl: 30, data: '2001:DB8::1', tls: false }] } as never)).toMatchObject({ valid: false });
  });

  it('applies changes locally without consensus', async () => {
    const store = new ZoneStore(apex);
    const zone = createServiceZone({ store, consensus: undefined, clock: systemClock, nodeId: 'n1' });
    await zone.upsert([{ name: 'echo.svc', type: 'A', data: '10.1.1.1' }]);
    expect(zone.list()).toEqual([{ name: 'echo.svc.hypermesh.local', type: 'A', ttl: 30, data: '10.1.1.1' }]);
    await zone.remove('echo.svc');
    expect(zone.list()).toEqual([]);
  });

  it('parses the master-file subset', () => {
    const text = [
      '$ORIGIN svc.hypermesh.local.',
      '$TTL 1h',
      '@        IN SOA ns.hypermesh.local. hostmaster.hypermesh.local. ( 1 3600 600',
      '            86400 30 ) ; ignored: the zone makes its own',
      'echo     60 IN A    10.0.0.1',
      '            IN AAAA 2001:db8::1',
      'web         A       10.0.0.2 ; comment',
      '_http._tcp.web IN SRV 0 5 8080 web',
      'txt         TXT     "hello world" "semi;colon"',
      '_443._tcp.web TLSA 3 1 1 ( 0a0b',
      '                         0c0d )',
      '$TLS echo',
    ].join('\n');
    const records = parseZoneFile(text, 'hypermesh.local', 'test.zone');
    expect(records).toEqual([
      { name: 'echo.svc.hypermesh.local.', ttl: 60, type: 'A', data: '10.0.0.1', tls: true },
      { name: 'echo.svc.hypermesh.local.', ttl: 3600, type: 'AAAA', data: '2001:db8::1', tls: true },
      { name: 'web.svc.hypermesh.local.', ttl: 3600, type: 'A', data: '10.0.0.2' },
      { name: '_http._tcp.web.svc.hypermesh.local.', ttl: 3600, type: 'SRV', data: { priority: 0, weight: 5, port: 8080, target: 'web.svc.hypermesh.local' } },
      { name: 'txt.svc.hypermesh.local.', ttl: 3600, type: 'TXT', data: ['hello world', 'semi;colon'] },
      { name: '_443._tcp.web.svc.hypermesh.local.', ttl: 3600, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('0a0b0c0d', 'hex') } },
    ]);
    expect(() => parseZoneFile('www.example.org. A 1.2.3.4', 'hypermesh.local', 'bad.zone')).toThrow("bad.zone, line 1: 'www.example.org.' is not a name inside the cluster domain 'hypermesh.local'");
    expect(() => parseZoneFile('a CNAME b', 'hypermesh.local', 'bad.zone')).toThrow(/type 'CNAME' is not held/);
  });
});
