import dgram from 'node:dgram';
import http2 from 'node:http2';
import net from 'node:net';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kdig, selfSignedCertificate, tempDir } from '../testing/peers.js';
import { startDnsNode, type DnsTestNode } from '../testing/node.js';

// The server against a real client: kdig over UDP, TCP, DNS over TLS and DNS over HTTPS.
const zone = [
  { name: 'echo.svc', type: 'A', data: '10.0.0.1' },
  { name: 'echo.svc', type: 'A', data: '10.0.0.2' },
  { name: 'echo.svc', type: 'AAAA', data: '2001:db8::1' },
  { name: '_http._tcp.echo.svc', type: 'SRV', data: { priority: 0, weight: 5, port: 8080, target: 'echo.svc' } },
  // 40 TXT strings of 60 octets: ~2.6 KB, more than any UDP limit here
  { name: 'big', type: 'TXT', data: Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(58)}`) },
] as const;

function udpQuery(port: number, message: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, port, '127.0.0.1');
  });
}

describe('DNS server against kdig', () => {
  let server: DnsTestNode;
  let dir: ReturnType<typeof tempDir>;
  let port: number;

  beforeAll(async () => {
    dir = tempDir('dns-server');
    const { cert, key } = await selfSignedCertificate(dir.path);
    server = await startDnsNode({
      listen_tls: '127.0.0.1:0',
      listen_https: '127.0.0.1:0',
      tls: { cert, key },
      zone: { records: zone as never },
      tcp: { idle_timeout: 300 },
    });
    port = server.addresses.udp.port;
  });
  afterAll(async () => {
    await server?.stop();
    dir?.dispose();
  });

  const at = () => ['@127.0.0.1', '-p', String(port)];

  it('answers authoritatively over UDP and TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const r = await kdig([...at(), transport, 'echo.svc.hypermesh.local', 'A']);
      expect(r.status).toBe('NOERROR');
      expect(r.flags).toContain('aa');
      expect(r.answers.map((a) => a[4])).toEqual(['10.0.0.1', '10.0.0.2']);
    }
    const srv = await kdig([...at(), '_http._tcp.echo.svc.hypermesh.local', 'SRV']);
    expect(srv.answers[0]!.slice(3)).toEqual(['SRV', '0', '5', '8080', 'echo.svc.hypermesh.local.']);
  });

  it('answers over DNS over TLS and DNS over HTTPS (POST and GET, HTTP/2)', async () => {
    const dot = await kdig(['@127.0.0.1', '-p', String(server.addresses.dot!.port), '+tls', 'echo.svc.hypermesh.local', 'AAAA']);
    expect(dot.raw).toMatch(/TLS session/);
    expect(dot.answers.map((a) => a[4])).toEqual(['2001:db8::1']);
    for (const method of ['+https', '+https-get']) {
      const doh = await kdig(['@127.0.0.1', '-p', String(server.addresses.doh!.port), method, 'echo.svc.hypermesh.local', 'A']);
      expect(doh.raw).toMatch(/HTTP session \(HTTP\/2-(POST|GET)\)/);
      expect(doh.answers).toHaveLength(2);
    }
  });

  it('distinguishes NXDOMAIN from NODATA and REFUSES names it is not authoritative for', async () => {
    const nx = await kdig([...at(), 'nope.svc.hypermesh.local', 'A']);
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.authorities[0]?.[3]).toBe('SOA');
    const nodata = await kdig([...at(), 'echo.svc.hypermesh.local', 'TXT']);
    expect(nodata.status).toBe('NOERROR');
    expect(nodata.answers).toHaveLength(0);
    expect(nodata.authorities[0]?.[3]).toBe('SOA');
    const refused = await kdig([...at(), '+edns', 'www.example.org', 'A']);
    expect(refused.status).toBe('REFUSED');
    expect(refused.ede.join()).toMatch(/^20 \(Not Authoritative\)/);
  });

  it('truncates over UDP with TC, and the client falls back to TCP', async () => {
    const truncated = await kdig([...at(), '+ignore', 'big.hypermesh.local', 'TXT']);
    expect(truncated.flags).toContain('tc');
    expect(truncated.answers).toHaveLength(0);
    const full = await kdig([...at(), 'big.hypermesh.local', 'TXT']);
    expect(full.flags).not.toContain('tc');
    expect(full.answers[0]!.slice(4)).toHaveLength(40);
  });

  it('answers ANY minimally (RFC 8482) and BADVERS for EDNS version 1', async () => {
    const any = await kdig([...at(), 'echo.svc.hypermesh.local', 'ANY']);
    expect(new Set(any.answers.map((a) => a[3]))).toEqual(new Set(['A']));
    const badvers = await kdig([...at(), '+edns=1', 'echo.svc.hypermesh.local', 'A']);
    expect(badvers.status).toBe('BADVERS');
  });

  it('answers FORMERR and NOTIMP, drops what cannot be answered, and keeps serving', async () => {
    const notify = packet.encode({ id: 7, type: 'query', flags: 4 << 11, questions: [{ name: 'hypermesh.local', type: 'SOA' }] });
    const notimp = packet.decode((await udpQuery(port, notify))!);
    expect(notimp).toMatchObject({ id: 7, rcode: 'NOTIMP' });
    const garbage = Buffer.concat([packet.encode({ id: 8, type: 'query', questions: [{ name: 'a.b', type: 'A' }] }), Buffer.from([1, 2, 3])]);
    expect(packet.decode((await udpQuery(port, garbage))!)).toMatchObject({ id: 8, rcode: 'FORMERR' });
    expect(await udpQuery(port, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    const ok = await kdig([...at(), 'echo.svc.hypermesh.local', 'A']);
    expect(ok.status).toBe('NOERROR');
    const metrics = await server.node.metrics.metrics();
    expect(metrics).toMatch(/hypermesh_dns_malformed_total\{reply="FORMERR",node="node-1"\} [1-9]/);
    expect(metrics).toMatch(/hypermesh_dns_malformed_total\{reply="drop",node="node-1"\} [1-9]/);
  });

  it('pipelines TCP queries (RFC 7766) and closes idle connections', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const frames = [1, 2, 3].map((id) => {
      const q = packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: 'echo.svc.hypermesh.local', type: 'A' }] });
      const f = Buffer.alloc(2 + q.length);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      return f;
    });
    socket.write(Buffer.concat(frames));
    const ids: number[] = [];
    let buf = Buffer.alloc(0);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        ids.push(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))).id!);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
    });
    const started = Date.now();
    await closed; // the server closes it after 300 ms idle
    expect(ids.sort()).toEqual([1, 2, 3]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('speaks RFC 8484 HTTP: 404, 405, 415 and 400 for requests that are not DNS', async () => {
    const session = http2.connect(`https://127.0.0.1:${server.addresses.doh!.port}`, { rejectUnauthorized: false });
    const status = (headers: http2.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = session.request(headers);
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.end(body);
        req.resume();
      });
    try {
      expect(await status({ ':path': '/other' })).toBe(404);
      expect(await status({ ':path': '/dns-query', ':method': 'PUT' })).toBe(405);
      expect(await status({ ':path': '/dns-query', ':method': 'POST', 'content-type': 'text/plain' }, Buffer.from('x'))).toBe(415);
      expect(await status({ ':path': '/dns-query?dns=***' })).toBe(400);
    } finally {
      session.close();
    }
  });
});

describe('DNS server access control', () => {
  it('REFUSES clients outside allow_clients with an Extended DNS Error', async () => {
    const server = await startDnsNode({ allow_clients: ['10.0.0.0/8'], zone: { records: [{ name: 'a', type: 'A', data: '10.0.0.1' }] } });
    try {
      const r = await kdig(['@127.0.0.1', '-p', String(server.addresses.udp.port), '+edns', 'a.hypermesh.local', 'A']);
      expect(r.status).toBe('REFUSED');
      expect(r.ede.join()).toMatch(/^18 \(Prohibited\)/);
    } finally {
      await server.stop();
    }
  });
});
