/**
 * Test support (not part of the public API): real DNS peers — kdig, unbound, knot — and
 * throw-away TLS certificates made with the openssl CLI, each cleaned up by the caller.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A temporary directory removed by `dispose`. */
export function tempDir(prefix: string): { path: string; dispose: () => void } {
  const path = mkdtempSync(join(tmpdir(), `hm-${prefix}-`));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** A self-signed P-256 certificate for `names` (DNS names and IP addresses), made by openssl. */
export async function selfSignedCertificate(dir: string, names: readonly string[] = ['dns.test', '127.0.0.1'], file = 'server'): Promise<{ cert: string; key: string; certFile: string; keyFile: string }> {
  const keyFile = join(dir, `${file}.key`);
  const certFile = join(dir, `${file}.crt`);
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`,
  ]);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** A test CA and leaf certificates it issues, made by openssl (PEM texts and files). */
export interface TestPki {
  readonly caCert: string;
  /** Issues a server certificate for `names` (the first is the CN), signed by the CA. */
  issue(names: readonly string[], file: string): Promise<{ cert: string; key: string }>;
}

/** Creates a CA in `dir` (basicConstraints CA, keyCertSign) for issuing test server certificates. */
export async function testPki(dir: string): Promise<TestPki> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2',
    '-subj', '/CN=HyperMesh Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    caCert: readFileSync(caCert, 'utf8'),
    async issue(names, file) {
      const key = join(dir, `${file}.key`);
      const csr = join(dir, `${file}.csr`);
      const cert = join(dir, `${file}.crt`);
      const ext = join(dir, `${file}.ext`);
      const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
      await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`]);
      await run('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
      return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
    },
  };
}

/** What kdig printed, parsed. */
export interface KdigResult {
  readonly status: string;
  readonly flags: readonly string[];
  /** Answer section lines as fields: name, ttl, class, type, data… */
  readonly answers: readonly string[][];
  readonly authorities: readonly string[][];
  /** Extended DNS Error lines (`22 (No Reachable Authority): 'text'`). */
  readonly ede: readonly string[];
  readonly raw: string;
}

function section(raw: string, title: string): string[][] {
  const start = raw.indexOf(`;; ${title} SECTION:`);
  if (start < 0) return [];
  const lines = raw.slice(start).split('\n').slice(1);
  const out: string[][] = [];
  for (const line of lines) {
    if (line.trim() === '' || line.startsWith(';;')) break;
    out.push(line.split(/\s+/));
  }
  return out;
}

/** Runs kdig with `args` (server, port and options) and parses its answer. */
export async function kdig(args: readonly string[]): Promise<KdigResult> {
  const { stdout } = await run('kdig', ['+retry=0', '+time=3', ...args], { timeout: 15_000 });
  const status = /status: (\S+?);/.exec(stdout)?.[1] ?? 'NONE';
  const flags = (/;; Flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const ede = [...stdout.matchAll(/;; EDE: (.*)/g)].map((m) => m[1]!);
  return { status, flags, answers: section(stdout, 'ANSWER'), authorities: section(stdout, 'AUTHORITY'), ede, raw: stdout };
}

/** A port free right now on 127.0.0.1 for both UDP and TCP (for peers that cannot take port 0). */
export async function freePort(): Promise<number> {
  const dgram = await import('node:dgram');
  for (;;) {
    const tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (ok) return port;
  }
}

/** A running peer process; `stop` kills it and removes its files. */
export interface Peer {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

async function waitForAnswer(port: number, name: string, child: ChildProcess, log: () => string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`peer exited with ${child.exitCode}: ${log()}`);
    try {
      const r = await kdig(['@127.0.0.1', '-p', String(port), '+time=1', name, 'SOA']);
      if (r.status !== 'NONE') return;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 10_000) throw new Error(`peer on port ${port} did not answer within 10 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startPeer(command: string, args: string[], port: number, probe: string, dir: { dispose: () => void }): Promise<Peer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    dir.dispose();
  };
  return waitForAnswer(port, probe, child, () => output).then(
    () => ({ port, process: child, stop }),
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );
}

/** Starts knotd serving `zone` (master-file text for `origin`) on a free loopback port. */
export async function startKnot(origin: string, zone: string): Promise<Peer> {
  const dir = tempDir('knot');
  const port = await freePort();
  writeFileSync(join(dir.path, `${origin}.zone`), zone);
  writeFileSync(
    join(dir.path, 'knot.conf'),
    [
      'server:',
      `  rundir: "${dir.path}"`,
      `  listen: 127.0.0.1@${port}`,
      '  udp-workers: 1',
      '  tcp-workers: 1',
      '  background-workers: 1',
      'database:',
      `  storage: "${dir.path}"`,
      'log:',
      '  - target: stderr',
      '    any: warning',
      'zone:',
      `  - domain: ${origin}`,
      `    file: "${join(dir.path, `${origin}.zone`)}"`,
      '    zonefile-sync: -1',
      '    journal-content: none',
      '',
    ].join('\n'),
  );
  return startPeer('knotd', ['-c', join(dir.path, 'knot.conf')], port, origin, dir);
}

/** Options of {@link startUnbound}. */
export interface UnboundOptions {
  /** Forward every name to these `ADDR@PORT` servers (as a stub zone for `stubZone`, else as the root forward zone). */
  readonly forwardTo?: readonly string[];
  /** With `forwardTo`: a stub zone for this origin (the upstream is authoritative). */
  readonly stubZone?: string;
  /** `local-data` lines (RRs in master-file form) served from unbound's own memory. */
  readonly localData?: readonly string[];
  /** Extra `server:` lines. */
  readonly extra?: readonly string[];
}

/** Starts unbound (one thread) on a free loopback port. */
export async function startUnbound(options: UnboundOptions): Promise<Peer> {
  const dir = tempDir('unbound');
  const port = await freePort();
  const lines = [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    '  port: 53',
    '  do-daemonize: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir.path}"`,
    `  pidfile: "${join(dir.path, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  module-config: "iterator"',
    '  minimal-responses: yes',
    '  qname-minimisation: no',
    '  harden-referral-path: no',
    ...(options.localData ?? []).map((rr) => `  local-data: "${rr}"`),
    ...(options.extra ?? []).map((l) => `  ${l}`),
  ];
  if (options.forwardTo !== undefined) {
    if (options.stubZone !== undefined) {
      lines.push(`  domain-insecure: "${options.stubZone}"`, `  local-zone: "${options.stubZone}." nodefault`, 'stub-zone:', `  name: "${options.stubZone}"`);
      for (const a of options.forwardTo) lines.push(`  stub-addr: ${a}`);
    } else {
      lines.push('forward-zone:', '  name: "."');
      for (const a of options.forwardTo) lines.push(`  forward-addr: ${a}`);
    }
  }
  writeFileSync(join(dir.path, 'unbound.conf'), `${lines.join('\n')}\n`);
  return startPeer('unbound', ['-d', '-c', join(dir.path, 'unbound.conf')], port, options.stubZone ?? '.', dir);
}
