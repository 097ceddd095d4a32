/**
 * `@hypermesh/plugin-scheduler` — container scheduling for HyperMesh.
 *
 * @packageDocumentation
 */
export { PLUGIN_NAME, SchedulerError, SchedulerErrorCode } from './errors.js';
export { tapSchedulingPlugin, type SchedulingPlugin, type TapSchedulingPluginOptions } from './framework/scheduling-plugin.js';
export { formatStatus, isSuccess, schedulingError, skip, success, unschedulable, waitFor } from './framework/status.js';
export { feasibleNodesToFind, tieBreak, type FrameworkOptions } from './framework/framework.js';
export { BUILTIN_PLUGIN_NAMES, builtinPlugins, tapBuiltinPlugins, type BuiltinPluginName, type BuiltinPluginOptions } from './plugins/builtin.js';
export { createSchedulerStateMachine, type SchedulerMachineOptions, type SchedulerStateMachine, type StateEvent } from './state/state-machine.js';
export { SCHED_NAMESPACE, operationSchema, parseOperation, type SchedOperation, type SchedResult } from './state/operations.js';
export { cpuSchema, memorySchema, workloadSpecSchema, type ParsedWorkloadSpec } from './state/workload-schema.js';
