import { resolve } from 'node:path';
import type { CertificateVerdict } from '@hypermesh/runtime';
import type { Command } from '../cli/command.js';
import { readInputFile } from '../cli/read-input.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads the PEM certificates of a file, in order; a file without one is an input error. */
export async function readPemCertificates(file: string): Promise<string[]> {
  const text = await readInputFile(file);
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new CliError(CliErrorCode.InvalidInput, `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert DER with openssl x509 -inform der`, ExitCode.InvalidInput);
  }
  return blocks.map((b) => `${b}\n`);
}

type VerdictJson = Omit<CertificateVerdict, 'notBefore' | 'notAfter'> & { notBefore: string; notAfter: string };

/** Renders a verdict for people. */
export function renderVerdict(v: VerdictJson): string[] {
  const out = [
    `subject:     ${v.subject}`,
    `issuer:      ${v.issuer}`,
    `serial:      ${v.serialNumber}`,
    `valid:       ${v.notBefore} → ${v.notAfter}`,
    `sha256:      ${v.fingerprintSha256}`,
  ];
  if (v.subjectAltNames.length > 0) out.push(`names:       ${v.subjectAltNames.join(', ')}`);
  out.push(`path:        ${v.path.valid ? 'valid' : `NOT valid — ${v.path.problems.join('; ')}`}`);
  if (v.hostname !== undefined) out.push(`hostname:    ${v.hostname.name} ${v.hostname.matches ? 'matches' : 'does NOT match'}`);
  const valid = v.ct.scts.filter((s) => s.valid).length;
  out.push(
    `CT:          ${v.ct.compliant ? 'compliant' : 'NOT compliant'} — ${valid} valid SCT${valid === 1 ? '' : 's'} of ${v.ct.required} required, ${v.ct.distinctOperators} distinct operator${v.ct.distinctOperators === 1 ? '' : 's'}`,
  );
  for (const s of v.ct.scts) out.push(`  SCT ${s.logName ?? s.logId} (${s.origin}): ${s.valid ? 'valid' : `invalid — ${s.reason ?? 'no reason given'}`}`);
  for (const p of v.ct.problems) out.push(`  ${p}`);
  out.push('', v.valid ? `VALID (trust score ${v.trustScore.toFixed(2)})` : `NOT VALID (trust score ${v.trustScore.toFixed(2)}):`);
  for (const r of v.reasons) out.push(`  - ${r}`);
  return out;
}

/** `hypermesh ct verify CERT.pem`. */
export const ctVerifyCommand: Command = {
  name: 'ct verify',
  usage: 'hypermesh ct verify CERT.pem [--issuer ISSUER.pem] [--hostname NAME] [--at TIME]',
  summary: 'Verify a certificate: X.509 path, host name and Certificate Transparency policy',
  details:
    'CERT.pem may hold the leaf followed by its chain. --issuer adds the issuer (and any further chain in that file) after the leaf. --at checks validity at another time (ISO 8601, e.g. 2019-01-01T00:00:00Z). Exit code 0 when the certificate is valid, 1 when it is not.',
  options: { issuer: { type: 'string' }, hostname: { type: 'string' }, at: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const [leaf, ...rest] = await readPemCertificates(resolve(ctx.cwd, ctx.positionals[0]!));
    const issuer = ctx.values.issuer === undefined ? [] : await readPemCertificates(resolve(ctx.cwd, ctx.values.issuer as string));
    const chain = [...issuer, ...rest];
    const at = ctx.values.at as string | undefined;
    if (at !== undefined && Number.isNaN(Date.parse(at))) throw usageError(`--at ${JSON.stringify(at)} is not a time; write e.g. 2019-01-01T00:00:00Z`);
    const verdict = await ctx.client().request<VerdictJson>('POST', '/v1/certificates/verify', {
      certificate: leaf,
      ...(chain.length > 0 ? { chain } : {}),
      ...(ctx.values.hostname === undefined ? {} : { hostname: ctx.values.hostname }),
      ...(at === undefined ? {} : { at: new Date(at).toISOString() }),
    });
    ctx.out.result(verdict, () => renderVerdict(verdict));
    return verdict.valid ? ExitCode.Ok : ExitCode.Failed;
  },
};
