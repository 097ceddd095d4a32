/**
 * `@hypermesh/ebpf` — libbpf bindings for TypeScript (through koffi, no native build step), typed
 * maps, ring buffers, XDP/TC/socket-filter attachment, the shipped `dns_filter` (XDP) and
 * `flow_stats` (TC) programs, and the datapath plugin that provides the runtime's `datapath`.
 *
 * @packageDocumentation
 */
export { EbpfError, EbpfErrorCode, type EbpfErrorOptions } from './errors.js';
export { BpfObject, type BpfObjectLoadOptions, type BpfObjectOpenOptions } from './object/bpf-object.js';
export { BpfProgram, type ProgramStatistics, type TestRunInput, type TestRunResult } from './object/bpf-program.js';
export { RawBpfMap, possibleCpus, type MapInfo } from './maps/raw-map.js';
export { BpfMap, PerCpuBpfMap } from './maps/bpf-map.js';
export { UpdateFlag, type BpfMapType, type BpfProgramType } from './maps/map-types.js';
export {
  array,
  be16,
  be32,
  bytes,
  decodeValue,
  encodeValue,
  i16,
  i32,
  i64,
  i8,
  pad,
  struct,
  u16,
  u32,
  u64,
  u8,
  type Layout,
  type LayoutShape,
  type LayoutValue,
  type PadLayout,
  type StructField,
  type StructLayout,
  type StructValue,
} from './layout/layout.js';
export { Btf, type BtfMember, type BtfType } from './layout/btf.js';
export { RingBufferReader, type RecordDecoder, type RingBufferReaderOptions, type RingBufferStats } from './ringbuf/ring-buffer.js';
export { BpfLink, type Attachment } from './attach/link.js';
export { XdpNetlinkAttachment, xdpQuery, type XdpAttachment, type XdpAttachOptions, type XdpMode, type XdpStatus } from './attach/xdp.js';
export { ClsactAttachment, removeClsact, type TcAttachOptions, type TcAttachment } from './attach/tc.js';
export { detachSocketFilter } from './attach/socket-filter.js';
export { DEFAULT_BPFFS, ensureBpffs, isBpffs } from './fs/bpffs.js';
export { enableRunStatistics, type RunStatistics } from './system/run-statistics.js';
export { libbpfStatus } from './native/libbpf.js';
export { setLibbpfLogSink, type LibbpfLogLevel, type LibbpfLogSink } from './native/print.js';
export { shippedObjectPath, type ShippedObject } from './programs/objects.js';
export { DnsFilterProgram, DNS_FILTER_STATE_MAPS, monotonicNs, type DnsFilterLoadOptions, type DnsFilterStats, type DnsSourceStats } from './programs/dns-filter.js';
export { FlowStatsProgram, type FlowEntry, type FlowTotals } from './programs/flow-stats.js';
export { decodeDatapathRecord, type KernelTime } from './programs/events.js';
export { decodeDnsName, encodeDnsName } from './programs/dns-wire.js';
export * as layouts from './programs/layouts.js';
export { detectCapabilities, effectiveCapabilities } from './system/capabilities.js';
export { datapathConfig, interfaceConfig, type DatapathConfig } from './config.js';
export { datapathPlugin, datapathPlugin as default } from './plugin.js';
export { EBPF_PLUGIN_NAME, EBPF_VERSION } from './version.js';
