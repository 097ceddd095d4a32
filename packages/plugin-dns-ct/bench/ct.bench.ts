// Cost of Certificate Transparency checks: SCT verification per certificate and the full
// certificate verdict, each next to a bare node:crypto peer doing only the signature checks.
// Run: npm run bench:ct -w @hypermesh/plugin-dns-ct   (writes docs/benchmarks.md, section "ct")
import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { systemClock } from '@hypermesh/runtime';
import { machineLine, writeBenchSection } from '../../../scripts/bench-report.mjs';
import { createCertificatesService } from '../src/certificates/certificates-service.js';
import { logFromKey, parseLogList } from '../src/ct/log-list.js';
import { decodeSct, sctListFromExtension, sctSignedData, splitSctList } from '../src/ct/sct.js';
import { forgetVerifiedSignatures, issuerKeyHash, verifyEmbeddedScts } from '../src/ct/verify-scts.js';
import { findExtension, parseCertificate } from '../src/x509/certificate.js';
import { Oid } from '../src/x509/oids.js';
import { pemCertificates } from '../src/x509/pem.js';
import { tbsWithoutExtensions } from '../src/x509/tbs.js';

const ROUNDS = 15;
const text = (path: string) => readFileSync(new URL(`../src/ct/testdata/${path}`, import.meta.url), 'utf8');

/**
 * CPU microseconds (user + system) per operation of one round of `n` operations: on a shared,
 * loaded machine CPU time does not count the time this process waits for a core.
 */
async function round(n: number, op: () => unknown): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await op();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Measures an operation and its peer in alternating rounds, so load from other processes hits
 * both alike; returns the medians and the median of the per-round ratios.
 */
async function compare(n: number, ours: () => unknown, peer: () => unknown): Promise<{ ours: number; peer: number; ratio: number }> {
  await round(n, ours);
  await round(n, peer);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await round(n, ours));
    b.push(await round(n, peer));
  }
  return { ours: median(a), peer: median(b), ratio: median(a.map((x, i) => x / b[i]!)) };
}

async function main() {
  const logs = [...parseLogList(text('real/log_list_v3_2023-03-22.json')).logs, logFromKey({ key: text('real/digicert-log-server-key-public.pem'), description: 'DigiCert Log Server', operator: 'DigiCert' })];
  const [leafDer, issuerDer] = pemCertificates(text('real/github-chain.pem'));
  const leaf = parseCertificate(leafDer!);
  const issuer = parseCertificate(issuerDer!);

  // Peer: exactly the signature checks, with the signed data and keys prepared beforehand.
  const entry = { type: 'precert' as const, issuerKeyHash: issuerKeyHash(issuer), tbsCertificate: tbsWithoutExtensions(leaf, [Oid.ctSctList]) };
  const prepared = splitSctList(sctListFromExtension(findExtension(leaf, Oid.ctSctList)!.value)).map((bytes) => {
    const sct = decodeSct(bytes);
    const log = logs.find((l) => l.logId === Buffer.from(sct.logId).toString('base64'))!;
    return { data: sctSignedData(sct.timestamp, entry, sct.extensions), key: log.publicKey, signature: sct.signature.signature };
  });
  const sctCount = prepared.length;
  const bareVerify = () => {
    for (const p of prepared) if (!verify('sha256', p.data, p.key, p.signature)) throw new Error('peer verification failed');
  };
  const check = (certificate: Uint8Array | typeof leaf, issuerInput: Uint8Array | typeof issuer) => {
    if (!verifyEmbeddedScts({ certificate, issuer: issuerInput, logs }).every((v) => v.valid)) throw new Error('SCT verification failed');
  };
  const coldParsed = () => {
    forgetVerifiedSignatures();
    check(leaf, issuer);
  };
  const coldDer = () => {
    forgetVerifiedSignatures();
    check(leafDer!, issuerDer!);
  };
  const warmDer = () => check(leafDer!, issuerDer!);

  // Full verdict: path to a Mozilla root (node:tls), host name, SCTs, policy.
  const at = new Date(Date.UTC(2019, 0, 1));
  const service = createCertificatesService({ logs, clock: systemClock });
  const full = async () => {
    forgetVerifiedSignatures();
    const verdict = await service.verify({ certificate: leafDer!, chain: [issuerDer!], hostname: 'github.com', at });
    if (!verdict.valid) throw new Error(verdict.reasons.join('; '));
  };
  // Its peer: node's X509Certificate doing the two chain signatures and the host check, plus the bare SCT checks.
  const rootPem = rootCertificates.find((pem) => parseCertificate(pem).subject === issuer.issuer);
  if (rootPem === undefined) throw new Error(`root '${issuer.issuer}' is not in node:tls rootCertificates`);
  const rootKey = new X509Certificate(rootPem).publicKey;
  const issuerKey = createPublicKey({ key: Buffer.from(issuer.spki), format: 'der', type: 'spki' });
  const fullPeer = () => {
    const x = new X509Certificate(Buffer.from(leafDer!));
    const i = new X509Certificate(Buffer.from(issuerDer!));
    if (!x.verify(issuerKey) || !i.verify(rootKey) || x.checkHost('github.com') === undefined) throw new Error('peer chain failed');
    bareVerify();
  };

  const n = 200;
  const parsed = await compare(n, coldParsed, bareVerify);
  const der = await compare(n, coldDer, bareVerify);
  const warm = await compare(n, warmDer, bareVerify);
  const verdict = await compare(n / 2, full, fullPeer);

  const f = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
  const r = (x: number) => `${x.toFixed(2)}×`;
  const perSct = der.ours / sctCount;
  const md = `## CT verification (\`@hypermesh/plugin-dns-ct\`)

\`npm run bench:ct -w @hypermesh/plugin-dns-ct\` — ${machineLine()}

Certificate: the real github.com certificate of 2018 (${sctCount} embedded ECDSA P-256 SCTs from Google
Pilot, DigiCert, Google Skydiver) and its DigiCert issuer; log keys from Chrome's log list. The peer
does only the signature checks with node:crypto, signed data and keys prepared beforehand, so the
ratio is this package's overhead (DER parsing, TBS rebuild, SCT decoding, log lookup, verdicts).
Ours and the peer run in alternating rounds (${ROUNDS} × ${n} operations); figures are CPU time
(user + system) per operation, medians; the ratio is the median of per-round ratios. "Cold" forgets verified signatures before every
operation; "repeat" is the same certificate checked again (verified signatures are remembered).

| what | this package | peer (bare node:crypto) | ratio |
|---|---|---|---|
| SCTs of one certificate (${sctCount}), cold, certificate already parsed | ${f(parsed.ours)} | ${f(parsed.peer)} | ${r(parsed.ratio)} |
| SCTs of one certificate (${sctCount}), cold, from DER | ${f(der.ours)} | ${f(der.peer)} | ${r(der.ratio)} |
| per SCT, cold, from DER | ${f(perSct)} | ${f(der.peer / sctCount)} | ${r(der.ratio)} |
| SCTs of one certificate, repeat, from DER | ${f(warm.ours)} | ${f(warm.peer)} | ${r(warm.ratio)} |
| full certificate verdict, cold (path to a Mozilla root, host name, SCTs, policy) | ${f(verdict.ours)} | ${f(verdict.peer)} (2 chain signatures + host check + SCT signatures) | ${r(verdict.ratio)} |

Targets: SCT verification under 0.2 ms (issue 3): ${perSct < 200 ? 'met' : 'not met'} per SCT cold (${f(perSct)}), ${warm.ours < 200 ? 'met' : 'not met'} per
certificate on repeat (${f(warm.ours)}). The seed architecture claims 2.1 ms for certificate
validation; the full cold verdict takes ${f(verdict.ours)} here, ${r(verdict.ratio)} the bare signature checks it contains.
The machine is shared: compare ratios, not absolute times, across runs.
`;
  const file = writeBenchSection('ct', md);
  console.log(md);
  console.log(`written to ${file}`);
}

void main();
