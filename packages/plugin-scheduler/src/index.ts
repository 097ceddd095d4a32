/**
 * `@hypermesh/plugin-scheduler` — container scheduling for HyperMesh: a scheduling framework
 * shaped like Kubernetes' (one typed hook per extension point), placement through consensus as a
 * replicated `sched` state machine, and node agents that run workloads with runc or as plain
 * processes.
 *
 * @packageDocumentation
 */
export { schedulerPlugin, schedulerPlugin as default, PLUGIN_VERSION } from './plugin.js';
export { schedulerConfigSchema, type SchedulerConfig } from './config.js';
export { PLUGIN_NAME, SchedulerError, SchedulerErrorCode } from './errors.js';

export { tapSchedulingPlugin, type SchedulingPlugin, type TapSchedulingPluginOptions } from './framework/scheduling-plugin.js';
export { formatStatus, isSuccess, schedulingError, skip, success, unschedulable, waitFor } from './framework/status.js';
export { feasibleNodesToFind, tieBreak, type FrameworkOptions } from './framework/framework.js';
export { BUILTIN_PLUGIN_NAMES, builtinPlugins, tapBuiltinPlugins, type BuiltinPluginName, type BuiltinPluginOptions } from './plugins/builtin.js';

export { createSchedulerStateMachine, type SchedulerMachineOptions, type SchedulerStateMachine, type StateEvent } from './state/state-machine.js';
export { ClusterState, workloadKey, type NamespacedSpec, type RunReport, type SnapshotJson, type TrustReport, type WorkloadRecord } from './state/cluster-state.js';
export { SCHED_NAMESPACE, operationSchema, parseOperation, quotaLimitsSchema, type SchedOperation, type SchedResult } from './state/operations.js';
export { cpuSchema, memorySchema, workloadSpecSchema, type ParsedWorkloadSpec } from './state/workload-schema.js';
export { ResourceManager, type NodeRecord, type QuotaLimits } from './resources/resource-manager.js';
export type { MutableQuantities } from './resources/quantities.js';

export type { Container, ContainerExit, ContainerRuntime, ContainerSpec } from './containers/container-runtime.js';
export { createProcessRuntime, type ProcessRuntimeOptions } from './containers/process-runtime.js';
export { createRuncRuntime, type RuncRuntimeOptions } from './containers/runc-runtime.js';
export { probeRunc, selectRuntime, type RuncProbe, type RuntimeSelection, type RuntimeSelectionOptions } from './containers/select-runtime.js';
export { ensureBusyboxRootfs } from './containers/busybox-rootfs.js';
export { ociConfig } from './containers/oci-bundle.js';
export { OWNER_ANNOTATION, ownerPrefix, processStartTime, type Removal, type RemovalListener } from './containers/ownership.js';

export { serviceName, serviceRecords } from './dns/service-records.js';
