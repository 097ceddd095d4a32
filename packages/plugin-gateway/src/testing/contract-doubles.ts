// Test doubles: small in-memory implementations of the runtime contracts the gateway talks to,
// for suites that run before (or without) the real plugins. They implement the contracts
// faithfully enough to drive the gateway; they are not the subsystems.
import { X509Certificate } from 'node:crypto';
import {
  HypermeshError,
  type AnalyticsService,
  type CertificateCheck,
  type CertificatesService,
  type CertificateVerdict,
  type ConsensusService,
  type ConsensusStatus,
  type DnsRecord,
  type LogLine,
  type NamespaceQuota,
  type Placement,
  type ResolverService,
  type SchedulableNode,
  type SchedulerService,
  type ThreatEvent,
  type WorkloadSpec,
  type WorkloadStatus,
  type ZoneRecordInput,
} from '@hypermesh/runtime';

/** Test double of the `scheduler` contract (plus the `logs` extension the gateway uses when present). */
export function testDoubleScheduler(nodeIds: readonly string[] = ['node-1', 'node-2', 'node-3', 'node-4']) {
  const workloads = new Map<string, WorkloadStatus & { spec: WorkloadSpec }>();
  const quotas = new Map<string, NamespaceQuota['limits']>();
  let sequence = 0;
  const key = (name: string, namespace = 'default') => `${namespace}/${name}`;
  const service = {
    async deploy(spec: WorkloadSpec): Promise<Placement> {
      if (spec.resources.cpuMillis > 4000) {
        throw new HypermeshError('E_SCHED_UNSCHEDULABLE', `workload '${spec.name}' is unschedulable: resource-fit refused every node (cpu ${spec.resources.cpuMillis}m > 4000m)`);
      }
      const namespace = spec.namespace ?? 'default';
      const node = nodeIds[sequence % nodeIds.length]!;
      sequence++;
      workloads.set(key(spec.name, namespace), { name: spec.name, namespace, node, phase: 'running', restarts: 0, address: `10.0.0.${sequence}`, spec });
      return { workload: spec.name, namespace, node, sequence };
    },
    async remove(name: string, namespace?: string): Promise<void> {
      workloads.delete(key(name, namespace));
    },
    list: () => [...workloads.values()].map(({ spec: _spec, ...status }) => status),
    get(name: string, namespace?: string) {
      const w = workloads.get(key(name, namespace));
      if (w === undefined) return undefined;
      const { spec: _spec, ...status } = w;
      return status;
    },
    nodes: (): SchedulableNode[] =>
      nodeIds.map((id) => ({
        id,
        labels: {},
        capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, pids: 4096 },
        allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 },
        taints: [],
        ready: true,
        workloads: [...workloads.values()].filter((w) => w.node === id).length,
        reputation: 1,
        trust: 'active' as const,
        runtimes: ['process'],
        address: '127.0.0.1',
      })),
    logs: async (name: string, namespace?: string, options?: { readonly tail?: number }): Promise<readonly LogLine[]> =>
      [
        { at: 0, stream: 'system' as const, text: `${key(name, namespace)} started` },
        { at: 1, stream: 'stdout' as const, text: 'hello from the test double' },
      ].slice(-(options?.tail ?? 200)),
    async reschedule(name: string, namespace?: string): Promise<Placement> {
      const w = workloads.get(key(name, namespace));
      if (w === undefined) throw new HypermeshError('E_SCHED_NOT_FOUND', `no workload '${key(name, namespace)}'`);
      const node = nodeIds[sequence % nodeIds.length]!;
      sequence++;
      workloads.set(key(name, namespace), { ...w, node });
      return { workload: name, namespace: w.namespace, node, sequence };
    },
    quotas: (): readonly NamespaceQuota[] => [...quotas.entries()].map(([namespace, limits]) => {
      const mine = [...workloads.values()].filter((w) => w.namespace === namespace);
      const used = mine.reduce(
        (sum, w) => ({ cpuMillis: sum.cpuMillis + w.spec.resources.cpuMillis, memoryBytes: sum.memoryBytes + w.spec.resources.memoryBytes, pids: sum.pids + w.spec.resources.pids, workloads: sum.workloads + 1 }),
        { cpuMillis: 0, memoryBytes: 0, pids: 0, workloads: 0 },
      );
      return { namespace, limits, used };
    }),
    async setQuota(namespace: string, limits: NamespaceQuota['limits']): Promise<void> {
      quotas.set(namespace, limits);
    },
    agent: () => undefined,
  } satisfies SchedulerService;
  return service;
}

/** Test double of the `resolver` contract: answers from its zone, NXDOMAIN otherwise. */
export function testDoubleResolver(domain = 'hypermesh.local'): ResolverService {
  const records = new Map<string, DnsRecord>();
  const absolute = (name: string) => (name === domain || name.endsWith(`.${domain}`) ? name : `${name}.${domain}`);
  let queries = 0;
  return {
    async resolve(question) {
      queries++;
      const answers = [...records.values()].filter((r) => r.name === question.name && (question.type === 'ANY' || r.type === question.type));
      const known = [...records.values()].some((r) => r.name === question.name);
      return {
        question,
        rcode: known ? 'NOERROR' : 'NXDOMAIN',
        answers,
        authorities: [],
        additionals: [],
        authoritative: question.name.endsWith(domain),
        source: 'zone',
        extendedErrors: [],
      };
    },
    zone: {
      domain,
      async upsert(inputs: readonly ZoneRecordInput[]) {
        for (const r of inputs) {
          const name = absolute(r.name);
          records.set(`${name}/${r.type}`, { name, type: r.type, ttl: r.ttl ?? 30, data: r.data } as DnsRecord);
        }
      },
      async remove(name, type) {
        for (const k of [...records.keys()]) if (k.startsWith(`${absolute(name)}/`) && (type === undefined || k.endsWith(`/${type}`))) records.delete(k);
      },
      list: () => [...records.values()],
    },
    stats: () => ({ queries, cacheHits: 0, cacheMisses: queries, cacheEntries: 0, hitRate: 0 }),
  };
}

/** Test double of the `certificates` contract: X.509 signature and validity via node:crypto, no CT logs. */
export function testDoubleCertificates(): CertificatesService {
  return {
    async verify(check: CertificateCheck): Promise<CertificateVerdict> {
      let leaf: X509Certificate;
      try {
        leaf = new X509Certificate(check.certificate);
      } catch (err) {
        throw new HypermeshError('E_CERT_PARSE', `the input is not a certificate: ${(err as Error).message}`, { cause: err });
      }
      const issuer = check.chain?.[0] === undefined ? leaf : new X509Certificate(check.chain[0]);
      const problems: string[] = [];
      if (!leaf.checkIssued(issuer) || !leaf.verify(issuer.publicKey)) problems.push(`not signed by ${issuer.subject.replace(/\n/g, ', ')}`);
      const at = check.at ?? new Date();
      if (at < new Date(leaf.validFrom) || at > new Date(leaf.validTo)) problems.push('outside its validity period');
      const ctProblems = ['no SCTs: the CT policy needs 2 from distinct operators'];
      return {
        valid: false,
        trustScore: problems.length === 0 ? 0.5 : 0,
        subject: leaf.subject.replace(/\n/g, ', '),
        issuer: leaf.issuer.replace(/\n/g, ', '),
        serialNumber: leaf.serialNumber,
        notBefore: new Date(leaf.validFrom),
        notAfter: new Date(leaf.validTo),
        fingerprintSha256: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
        subjectAltNames: (leaf.subjectAltName ?? '').split(', ').filter((s) => s !== ''),
        path: { valid: problems.length === 0, problems },
        ct: { compliant: false, scts: [], required: 2, distinctOperators: 0, problems: ctProblems },
        reasons: [...problems, ...ctProblems],
      };
    },
  };
}

/** Test double of the `analytics` contract with a fixed threat. */
export function testDoubleAnalytics(): AnalyticsService {
  const threat: ThreatEvent = {
    id: 't-1',
    kind: 'dga',
    severity: 'high',
    subject: { client: '192.0.2.9', domain: 'xjwqk3vz.example' },
    score: 0.93,
    reasons: [{ feature: 'label_entropy', value: 4.1, threshold: 3.5, weight: 0.7, explanation: 'the label looks random' }],
    action: 'rate-limit',
    detectedAt: 1_000,
  };
  return {
    observe: () => undefined,
    scores: () => ({ clients: [{ subject: '192.0.2.9', score: 0.93, updatedAt: 1_000 }], domains: [] }),
    nodeScore: () => undefined,
    topTalkers: (limit = 10) => [{ client: '192.0.2.9', queries: 420 }].slice(0, limit),
    recentThreats: (limit = 50) => [threat].slice(0, limit),
    modelStatus: () => ({ classifier: 'test-double@0', trainingSamples: 0 }),
    addDetector: () => () => undefined,
    activeThreats: () => [threat],
    release: (threatId: string) => threatId === threat.id,
  };
}

/** Test double of the `consensus` contract: a fixed 4-replica status. */
export function testDoubleConsensus(): ConsensusService {
  const status: ConsensusStatus = {
    nodeId: 'node-1',
    n: 4,
    f: 1,
    view: 3,
    primary: 'node-4',
    viewChangeInProgress: false,
    lastExecuted: 120,
    stableCheckpoint: 100,
    replicas: ['node-1', 'node-2', 'node-3', 'node-4'].map((id) => ({ id, reputation: id === 'node-2' ? 0.4 : 1, state: id === 'node-2' ? 'suspected' : 'active' })),
  };
  return {
    submit: async () => {
      throw new HypermeshError('E_CONSENSUS_NAMESPACE', 'the consensus test double commits nothing');
    },
    registerStateMachine: () => undefined,
    status: () => status,
    onCommit: () => () => undefined,
  };
}
