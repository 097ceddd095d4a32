/** The datapath plugin: wires config, the `datapath` service, metrics and lifecycle. */
import { clockRef, datapathRef, definePlugin, type DatapathCapabilities } from '@hypermesh/runtime';
import { datapathConfig, type DatapathConfig } from './config.js';
import { createDatapathService, type KernelBackend } from './datapath/datapath-service.js';
import { EventHub } from './datapath/event-hub.js';
import { createKernelBackend } from './datapath/kernel-backend.js';
import { EbpfError, EbpfErrorCode } from './errors.js';
import { registerDatapathMetrics } from './metrics.js';
import { detectCapabilities } from './system/capabilities.js';
import { EBPF_PLUGIN_NAME, EBPF_VERSION } from './version.js';

/** Decides the mode: kernel when configured or possible, else userspace with the reasons. */
function chooseCapabilities(config: DatapathConfig): DatapathCapabilities {
  const detected = detectCapabilities();
  if (config.mode === 'userspace') {
    return { ...detected, mode: 'userspace', xdpModes: [], tc: false, ringBuffer: false, missing: ["the datapath is configured with mode 'userspace'"] };
  }
  if (config.mode === 'kernel' && detected.mode !== 'kernel') {
    throw new EbpfError(EbpfErrorCode.Unavailable, `the datapath is configured with mode 'kernel' but eBPF cannot be used here: ${detected.missing.join('; ')}`);
  }
  return detected;
}

/**
 * The datapath plugin: provides `datapath` with XDP `dns_filter` and TC `flow_stats` where the
 * machine allows eBPF, else the same contract in userspace.
 */
export const datapathPlugin = definePlugin({
  name: EBPF_PLUGIN_NAME,
  version: EBPF_VERSION,
  description: 'Packet datapath: XDP DNS filter and cache answers, TC flow counters, or their userspace equivalent',
  requires: { runtime: '^0.1.0' },
  provides: [datapathRef],
  config: datapathConfig,
  setup(ctx) {
    const config = ctx.config;
    const clock = ctx.use(clockRef);
    const hub = new EventHub(config.eventQueue);
    let capabilities = chooseCapabilities(config);
    // The programs load here, not at start: the mode must be settled when the service is provided,
    // since consumers read capabilities() in their own setup. Attaching to interfaces waits for start.
    let kernel: KernelBackend | undefined;
    if (capabilities.mode === 'kernel') {
      try {
        kernel = createKernelBackend({
          clock,
          hub,
          dnsPort: config.dnsPort,
          cacheEntries: config.cacheEntries,
          answeredEventEvery: config.answeredEventEvery,
          flowReportIntervalMs: config.flowReportIntervalMs,
          ringHighWaterMark: config.eventQueue,
          onAttach: (iface, what) => ctx.logger.info({ iface }, `attached ${what}`),
        });
      } catch (err) {
        if (config.mode === 'kernel') throw err;
        const reason = `the BPF programs could not be loaded (${err instanceof Error ? err.message : String(err)}); the DNS server enforces the policy in userspace`;
        capabilities = { ...capabilities, mode: 'userspace', xdpModes: [], tc: false, ringBuffer: false, missing: [...capabilities.missing, reason] };
      }
    }
    if (capabilities.mode === 'kernel') ctx.logger.info({ libbpf: capabilities.libbpfVersion }, 'datapath in kernel mode (XDP dns_filter, TC flow_stats)');
    else ctx.logger.warn({ missing: capabilities.missing }, `datapath in userspace mode: ${capabilities.missing.join('; ')}`);

    const runtime = createDatapathService({
      clock,
      capabilities,
      kernel,
      hub,
      burstSeconds: config.burstSeconds,
      maxBuckets: config.maxBuckets,
      cacheEntries: config.cacheEntries,
    });
    ctx.provide(datapathRef, runtime.service);
    registerDatapathMetrics(ctx.metrics, runtime.service, runtime, kernel);
    const sweep = clock.setInterval(() => runtime.sweep(), config.sweepIntervalMs);

    ctx.onStart(async () => {
      for (const i of config.interfaces) await runtime.service.attach(i.name, { xdpMode: i.xdpMode, addresses: i.addresses, dnsPort: config.dnsPort });
    });
    ctx.onStop(() => {
      clock.clearTimeout(sweep);
      hub.end();
      kernel?.close();
    });
    ctx.onHealthCheck(() => ({
      status: 'ok',
      detail:
        capabilities.mode === 'kernel'
          ? `kernel mode on ${kernel?.interfaces().join(', ') || 'no interface yet'}`
          : `userspace mode: ${capabilities.missing[0] ?? 'configured'}`,
    }));
  },
});
