/**
 * `@hypermesh/cli` — the `hypermesh` command, and the functions it is made of for integrators:
 * {@link assembleNode} (one node from a cluster document) and {@link startCluster} (every node of
 * it in this process), which the reference clusters build on.
 *
 * @packageDocumentation
 */
export { runCli, type RunCliOptions } from './cli/run-cli.js';
export { ExitCode } from './exit-codes.js';
export { CliError, CliErrorCode, CLI_PACKAGE_NAME } from './errors.js';
export { CLI_VERSION } from './version.js';
export { GatewayClient, DEFAULT_API, normaliseApiUrl, type GatewayClientOptions } from './client/gateway-client.js';
export { assembleNode, type AssembleNodeOptions, type AssembledNode } from './cluster/assemble-node.js';
export type { DnsPlacement, GatewayPlacement, NodeTls } from './cluster/config-slices.js';
export { startCluster, type ClusterProgress, type RunningCluster, type StartClusterOptions } from './cluster/start-cluster.js';
export { loadCluster } from './cluster/load-cluster.js';
export { clusterFiles, loadNodeKeyring, CREDENTIAL_ROLES, type ClusterFiles } from './cluster/cluster-files.js';
export { clusterNodeIds } from './cluster/node-ids.js';
export { PLUGIN_CATALOG, defaultPluginSource, type CatalogContext, type CatalogEntry, type MissingPlugin, type PluginSource } from './cluster/plugin-catalog.js';
export { readWorkloadFile } from './workload/workload-file.js';
export { renderClusterYaml, type ClusterTemplate } from './commands/init.js';
