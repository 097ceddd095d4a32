import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCertificate, createClusterCa, type ClusterCa } from '../certs/cluster-ca.js';
import { captureLogger, openRawStream, type RawStream } from '../test-support/raw-client.js';
import { nodeConfig, stopAll, testLogger, waitFor } from '../test-support/cluster.js';
import { createGrpcTransport, type GrpcTransport } from './grpc-transport.js';

const sslAs = (ca: ClusterCa | string, cert: { certPem: string; keyPem: string }) =>
  credentials.createSsl(Buffer.from(typeof ca === 'string' ? ca : ca.caCertPem), Buffer.from(cert.keyPem), Buffer.from(cert.certPem), {
    checkServerIdentity: () => undefined,
  });

describe('gRPC transport: mutual TLS and node identity', () => {
  let running: GrpcTransport[] = [];
  let raw: RawStream[] = [];
  const ca = createClusterCa();

  afterEach(async () => {
    for (const stream of raw) stream.close();
    raw = [];
    await stopAll(running);
    running = [];
  });

  /** Node 'b' listening, expecting peer 'a' (which dials b, since 'a' < 'b'). */
  async function startB(logger = testLogger()) {
    const b = createGrpcTransport({ config: { ...nodeConfig(ca, 'b'), peers: { a: '127.0.0.1:1' } }, logger });
    running.push(b);
    await b.start();
    const received: string[] = [];
    b.subscribe('x', (from) => received.push(from));
    return { b, received };
  }

  function open(address: string, creds: Parameters<typeof openRawStream>[1], claim: string | undefined) {
    const stream = openRawStream(address, creds, claim);
    raw.push(stream);
    return stream;
  }

  it('accepts a client whose certificate from the cluster CA names the node it claims', async () => {
    const { b, received } = await startB();
    const stream = open(b.address(), sslAs(ca, ca.issueNodeCertificate('a')), 'a');
    expect(await stream.outcome).toEqual({ accepted: true });
    stream.call.write(Buffer.from([1, 1, 0x78, 0x2a])); // channel 'x', payload 0x2a
    await waitFor(() => received.length === 1, 'the message');
    expect(received).toEqual(['a']);
    expect(b.stats().peers.a!.status).toBe('up');
  });

  it('refuses a client with a certificate for ANOTHER node id than the one it claims', async () => {
    const { logger, records } = captureLogger();
    const { b, received } = await startB(logger);
    const stream = open(b.address(), sslAs(ca, ca.issueNodeCertificate('c')), 'a');
    const outcome = await stream.outcome;
    expect(outcome.accepted).toBe(false);
    if (!outcome.accepted) {
      expect(outcome.status.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(outcome.status.details).toBe("a client claiming to be 'a' presented a certificate for node 'c'");
    }
    expect(b.stats().refusedStreams['identity-mismatch']).toBe(1);
    expect(b.stats().peers.a!.status).toBe('down');
    expect(received).toEqual([]);
    expect(records.some((r) => r.reason === 'identity-mismatch' && r.msg.includes("presented a certificate for node 'c'"))).toBe(true);
  });

  it('refuses a node whose certificate names a node that is not its peer', async () => {
    const { b } = await startB();
    const outcome = await open(b.address(), sslAs(ca, ca.issueNodeCertificate('mallory')), 'mallory').outcome;
    expect(outcome).toMatchObject({ accepted: false, status: { code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining("'mallory' is not a peer") } });
    expect(b.stats().refusedStreams['unknown-peer']).toBe(1);
  });

  it('refuses a certificate from the cluster CA that names no node', async () => {
    const { b } = await startB();
    const keys = createClusterCa().issueNodeCertificate('x'); // any P-256 key pair
    const certPem = buildCertificate({
      subject: 'a',
      subjectKey: new X509Certificate(keys.certPem).publicKey,
      issuer: 'HyperMesh cluster CA',
      issuerKey: createPrivateKey(ca.caKeyPem),
      issuerKeyId: createHash('sha1').update(new X509Certificate(ca.caCertPem).publicKey.export({ format: 'der', type: 'spki' }).subarray(-65)).digest(),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      ca: false,
      altNames: [],
    });
    const outcome = await open(b.address(), sslAs(ca, { certPem, keyPem: keys.keyPem }), 'a').outcome;
    expect(outcome).toMatchObject({ accepted: false, status: { code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('names no node') } });
    expect(b.stats().refusedStreams['no-node-id']).toBe(1);
  });

  it('refuses at the TLS handshake a client whose certificate comes from another CA', async () => {
    const { b, received } = await startB();
    const stranger = createClusterCa().issueNodeCertificate('a');
    const outcome = await open(b.address(), sslAs(ca, stranger), 'a').outcome;
    expect(outcome).toMatchObject({ accepted: false, status: { code: GrpcStatus.UNAVAILABLE } });
    expect(b.stats().peers.a!.status).toBe('down');
    expect(received).toEqual([]);
  });

  it('refuses a client without a certificate, and plaintext', async () => {
    const { b } = await startB();
    const noClientCert = await open(b.address(), credentials.createSsl(Buffer.from(ca.caCertPem), null, null, { checkServerIdentity: () => undefined }), 'a').outcome;
    expect(noClientCert).toMatchObject({ accepted: false, status: { code: GrpcStatus.UNAVAILABLE } });
    const plaintext = await open(b.address(), credentials.createInsecure(), 'a').outcome;
    expect(plaintext).toMatchObject({ accepted: false, status: { code: GrpcStatus.UNAVAILABLE } });
    expect(b.stats().peers.a!.status).toBe('down');
  });

  it('two nodes with certificates from different CAs never connect, and say why', async () => {
    const { logger, records } = captureLogger();
    const otherCa = createClusterCa();
    const a = createGrpcTransport({ config: nodeConfig(otherCa, 'a'), logger });
    const b = createGrpcTransport({ config: nodeConfig(ca, 'b'), logger: testLogger() });
    running.push(a, b);
    await Promise.all([a.start(), b.start()]);
    a.setPeers({ b: b.address() });
    b.setPeers({ a: a.address() });
    await waitFor(() => a.stats().peers.b!.connectAttempts >= 3, 'several attempts');
    expect(a.stats().peers.b!.status).toBe('down');
    expect(b.stats().peers.a!.status).toBe('down');
    expect(records.some((r) => r.peer === 'b' && r.msg.startsWith("cannot reach peer 'b'"))).toBe(true);
  });

  it('the dialing node refuses a server that presents a certificate for another node id', async () => {
    const { logger, records } = captureLogger();
    const a = createGrpcTransport({ config: nodeConfig(ca, 'a'), logger });
    const c = createGrpcTransport({ config: nodeConfig(ca, 'c'), logger: testLogger() });
    running.push(a, c);
    await Promise.all([a.start(), c.start()]);
    const atC: string[] = [];
    c.subscribe('x', (from) => atC.push(from));
    a.setPeers({ b: c.address() }); // 'b' is expected there, but 'c' answers
    c.setPeers({ a: a.address() });
    a.send('b', 'x', new Uint8Array([1]));
    await waitFor(() => a.stats().peers.b!.connectAttempts >= 2, 'a retry');
    expect(a.stats().peers.b).toMatchObject({ status: 'down', sentMessages: 0, queuedMessages: 1 });
    expect(atC).toEqual([]);
    expect(records.some((r) => r.peer === 'b' && String(r.msg).includes("the server presented a certificate for node 'c'"))).toBe(true);
  });
});
