import type { AnyOperation } from '../operation.js';
import { createKey, deleteKey, listAudit, listKeys } from './admin.js';
import { verifyCertificate } from './certificates.js';
import { dnsStats, listRecords, lookup, removeRecords, upsertRecords } from './dns.js';
import { getConsensus, getHealth, getStatus, listPlugins, liveness, scrapeMetrics, whoami } from './status.js';
import { anomalyScores, listThreats, modelStatus, topTalkers } from './threats.js';
import { deployWorkload, getWorkload, listNodes, listWorkloads, removeWorkload, workloadLogs } from './workloads.js';

/** Every operation of the API, in the order the docs list them. */
export const OPERATIONS: readonly AnyOperation[] = [
  liveness,
  whoami,
  getStatus,
  getHealth,
  listPlugins,
  getConsensus,
  scrapeMetrics,
  listNodes,
  listWorkloads,
  getWorkload,
  deployWorkload,
  removeWorkload,
  workloadLogs,
  listRecords,
  upsertRecords,
  removeRecords,
  lookup,
  dnsStats,
  verifyCertificate,
  listThreats,
  anomalyScores,
  topTalkers,
  modelStatus,
  listAudit,
  listKeys,
  createKey,
  deleteKey,
];
