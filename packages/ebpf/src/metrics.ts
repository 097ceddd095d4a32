/** Every metric the datapath plugin exports, read from its counters at scrape time. */
import type { DatapathService, PluginMetrics } from '@hypermesh/runtime';
import type { DatapathRuntime, KernelBackend } from './datapath/datapath-service.js';

/** Registers the datapath's metrics; values are read when Prometheus scrapes. */
export function registerDatapathMetrics(metrics: PluginMetrics, service: DatapathService, runtime: DatapathRuntime, kernel: KernelBackend | undefined): void {
  const counter = (name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>) =>
    metrics.counterFrom({ name, help, labelNames }, read);
  const gauge = (name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>) =>
    metrics.gaugeFrom({ name, help, labelNames }, read);

  const mode = service.capabilities().mode;
  gauge('hypermesh_datapath_mode', 'Where the datapath enforces: 1 for the current mode', ['mode'], () => [
    [{ mode: 'kernel' }, mode === 'kernel' ? 1 : 0],
    [{ mode: 'userspace' }, mode === 'userspace' ? 1 : 0],
  ]);
  counter('hypermesh_datapath_packets_total', 'Packets judged by the datapath (XDP in kernel mode, admit() calls in userspace mode)', [], () => [
    [{}, service.stats().packets],
  ]);
  counter('hypermesh_datapath_dns_answered_total', 'DNS queries answered by XDP from the cache map', [], () => [[{}, service.stats().dnsAnsweredInKernel]]);
  counter('hypermesh_datapath_dns_passed_total', 'DNS queries let through to the DNS server', [], () => [[{}, service.stats().dnsPassed]]);
  counter('hypermesh_datapath_dropped_total', 'Packets or queries dropped, by reason and where', ['reason', 'where'], () => {
    const p = runtime.policy.counters;
    const k = kernel?.counters();
    return [
      [{ reason: 'blocked', where: 'userspace' }, p.blocked],
      [{ reason: 'rate-limited', where: 'userspace' }, p.rateLimited],
      ...(k
        ? ([
            [{ reason: 'blocked', where: 'kernel' }, k.blocked],
            [{ reason: 'rate-limited', where: 'kernel' }, k.rateLimited],
            [{ reason: 'malformed', where: 'kernel' }, k.malformed],
          ] as Array<[Record<string, string>, number]>)
        : []),
    ];
  });
  counter('hypermesh_datapath_events_lost_total', 'Events lost because the ring buffer or a subscriber was full', [], () => [[{}, service.stats().lostEvents]]);
  gauge('hypermesh_datapath_dns_cache_entries', 'Answers in the datapath cache', [], () => [[{}, runtime.cache.size]]);
  gauge('hypermesh_datapath_blocked_sources', 'Sources currently blocked', [], () => [[{}, runtime.policy.blockedCount]]);
  gauge('hypermesh_datapath_rate_limits', 'Prefixes with a rate limit', [], () => [[{}, runtime.policy.rateLimitCount]]);
  if (kernel) {
    counter('hypermesh_datapath_program_runs_total', 'Runs of each BPF program (counted while BPF stats are enabled)', ['program'], () =>
      kernel.programStatistics().map((s) => [{ program: s.program }, s.runCount]),
    );
    counter('hypermesh_datapath_program_run_seconds_total', 'Time spent in each BPF program (while BPF stats are enabled)', ['program'], () =>
      kernel.programStatistics().map((s) => [{ program: s.program }, s.runTimeNs / 1e9]),
    );
  }
}
