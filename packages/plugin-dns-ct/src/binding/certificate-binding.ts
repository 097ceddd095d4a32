import { createHash } from 'node:crypto';
import type { CertificatesService, CertificateVerdict, ClockService, DnsAnswerEvent, DnsRecord, TlsaData } from '@hypermesh/runtime';
import { bump, type DnsCounters } from '../metrics.js';
import { EdeCode, TypeCode } from '../wire/record-types.js';
import type { ZoneStore } from '../zone/zone-store.js';
import { tlsaMatches } from './dane.js';
import { fetchCertificate, type PresentedCertificate } from './fetch-certificate.js';

/** Options of {@link CertificateBinding}. */
export interface CertificateBindingOptions {
  /** `enforce`: SERVFAIL when the check fails; `report`: answer and flag; `off`: no checks. */
  readonly policy: 'enforce' | 'report' | 'off';
  readonly store: ZoneStore;
  /** The certificates service (read when needed, so an integrator's override is used). */
  readonly certificates: () => CertificatesService | undefined;
  readonly clock: ClockService;
  readonly counters: DnsCounters;
  /** Port checked when no `_port._tcp` TLSA record names one. */
  readonly defaultPort: number;
  readonly timeoutMs: number;
  /** How long a handshake result and its verdict are reused. */
  readonly verdictTtlMs: number;
  /** Fetches the presented certificate (a TLS handshake by default; tests may replace it). */
  readonly fetch?: (address: string, port: number, servername: string) => Promise<PresentedCertificate>;
  /** Reports a failed check (the plugin logs it). */
  readonly onFailure: (name: string, reasons: readonly string[]) => void;
}

/** The outcome of checking a bound name. */
interface Check {
  readonly valid: boolean;
  readonly reasons: readonly string[];
  readonly verdict?: CertificateVerdict;
  readonly expiresAt: number;
}

/**
 * Names bound to certificates (issue item 7). For an A/AAAA answer of a zone name marked `tls`
 * (or with `_port._tcp.<name>` TLSA records), the service certificate is fetched by a TLS
 * handshake to the first answered address on the bound port (SNI = the name), verified by the
 * `certificates` service (X.509 path, host name, CT policy) and matched against the TLSA records
 * when there are any. Results are kept per name, address and port for `verdictTtlMs`, and
 * verdicts per name and certificate fingerprint, so a busy name costs one handshake per period.
 */
export class CertificateBinding {
  private readonly checks = new Map<string, Check>();
  private readonly verdicts = new Map<string, { verdict: CertificateVerdict; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<Check>>();

  constructor(private readonly options: CertificateBindingOptions) {}

  /** The `dns.answer` tap. */
  readonly tap = async (event: DnsAnswerEvent): Promise<DnsAnswerEvent> => {
    const { policy, store } = this.options;
    const r = event.resolution;
    if (policy === 'off' || r.rcode !== 'NOERROR' || !store.hasBindings()) return event;
    const ports = store.binding(r.question.name);
    if (ports === undefined) return event;
    const address = r.answers.find((a) => a.type === 'A' || a.type === 'AAAA');
    if (address === undefined) return event;
    const port = ports.size > 0 ? Math.min(...ports) : this.options.defaultPort;
    const check = await this.check(r.question.name, address.data as string, port);
    bump(this.options.counters.certificateChecks, check.valid ? 'valid' : policy === 'enforce' ? 'blocked' : 'reported');
    if (check.valid) return check.verdict === undefined ? event : { ...event, resolution: { ...r, certificate: check.verdict } };
    const text = `certificate of ${r.question.name} (${address.data as string}:${port}) failed: ${check.reasons.join('; ')}`;
    const certificate = check.verdict === undefined ? {} : { certificate: check.verdict };
    if (policy === 'report') {
      return { ...event, resolution: { ...r, ...certificate, extendedErrors: [...r.extendedErrors, { infoCode: EdeCode.Other, extraText: `reported, not enforced: ${text}` }] } };
    }
    return {
      ...event,
      resolution: { ...r, ...certificate, rcode: 'SERVFAIL', answers: [], authorities: [], additionals: [], extendedErrors: [{ infoCode: EdeCode.Other, extraText: text }] },
    };
  };

  private check(name: string, address: string, port: number): Promise<Check> {
    const key = `${name}|${address}|${port}`;
    const cached = this.checks.get(key);
    if (cached !== undefined && cached.expiresAt > this.options.clock.now()) return Promise.resolve(cached);
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = this.run(name, address, port)
        .then((check) => {
          this.checks.set(key, check);
          if (!check.valid) this.options.onFailure(name, check.reasons);
          return check;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private tlsaOf(name: string, port: number): TlsaData[] {
    const answer = this.options.store.lookup(`_${port}._tcp.${name}`, TypeCode.TLSA);
    return (answer?.answers ?? []).filter((r: DnsRecord) => r.type === 'TLSA').map((r) => r.data as TlsaData);
  }

  private async run(name: string, address: string, port: number): Promise<Check> {
    const { clock, timeoutMs, verdictTtlMs } = this.options;
    const expiresAt = clock.now() + verdictTtlMs;
    const certificates = this.options.certificates();
    if (certificates === undefined) return { valid: false, reasons: ['no certificates service is available to verify it'], expiresAt };
    let presented: PresentedCertificate;
    try {
      presented = await (this.options.fetch ?? ((a, p, s) => fetchCertificate(a, p, s, timeoutMs, clock)))(address, port, name);
    } catch (err) {
      return { valid: false, reasons: [`no TLS handshake: ${(err as Error).message}`], expiresAt };
    }
    const fingerprint = createHash('sha256').update(presented.certificate).digest('hex');
    const verdictKey = `${name}|${fingerprint}`;
    let verdict = this.verdicts.get(verdictKey);
    if (verdict === undefined || verdict.expiresAt <= clock.now()) {
      try {
        verdict = { verdict: await certificates.verify({ certificate: presented.certificate, chain: presented.chain, hostname: name }), expiresAt };
      } catch (err) {
        return { valid: false, reasons: [`the certificate could not be verified: ${(err as Error).message}`], expiresAt };
      }
      this.verdicts.set(verdictKey, verdict);
    }
    const reasons = [...verdict.verdict.reasons];
    if (!verdict.verdict.valid && reasons.length === 0) reasons.push('the certificates service found it invalid');
    const tlsa = this.tlsaOf(name, port);
    if (tlsa.length > 0 && !tlsaMatches(tlsa, presented)) reasons.push(`no TLSA record of _${port}._tcp.${name} matches the presented certificate`);
    return { valid: verdict.verdict.valid && reasons.length === 0, reasons, verdict: verdict.verdict, expiresAt };
  }
}
