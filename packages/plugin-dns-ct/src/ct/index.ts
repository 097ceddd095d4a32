/**
 * Certificate Transparency (RFC 6962 / RFC 9162): log lists, SCT verification, Merkle proofs,
 * signed tree heads, the CT policy and trust score, a log client, a log server and a monitor.
 * Exported from the package as `ct`.
 */
export { parseLogList, loadLogKey, logFromKey, logIdOf, type CtLog, type CtLogList, type CtLogStateName } from './log-list.js';
export {
  verifyEmbeddedScts,
  verifySct,
  issuerKeyHash,
  certificateOf as parseCertificate,
  type CertificateInput,
  type CtLogs,
  type VerifyEmbeddedSctsOptions,
  type VerifySctOptions,
} from './verify-scts.js';
export {
  decodeSct,
  encodeSct,
  encodeSctList,
  decodeMerkleTreeLeaf,
  encodeMerkleTreeLeaf,
  type DigitallySigned,
  type MerkleTreeLeaf,
  type SignedCertificateTimestamp,
  type SignedEntry,
} from './sct.js';
export * as merkle from './merkle/index.js';
export { verifySth, signTreeHead, type GetSthResponse, type LogKeyInput, type SthVerdict, type TreeHead } from './sth.js';
export { evaluateCtPolicy, requiredScts, ctTrustScore, CHROME_CT_POLICY, type CtPolicy, type CtPolicyResult } from './policy.js';
export { CtLogClient, type CtLogClientOptions, type LogEntry } from './log-client.js';
export { startCtLogServer, type CtLogServer, type CtLogServerOptions } from './log-server/log-server.js';
export { CtLogStore, type CtLogStoreOptions, type StoredEntry } from './log-server/log-store.js';
export { CtMonitor, type CtMonitorOptions, type MonitoredLog, type MonitoredLogState, type WatchedDomain } from './monitor.js';
export { ctConfigSchema, type CtConfig } from './config.js';
export { createCtComponents, type CtComponents, type CtDependencies } from './ct-components.js';
export type { CtLogger } from './logger.js';
export { buildCertificate, type CertificateTemplate } from '../x509/build-certificate.js';
export type { Certificate, TbsCertificate, Extension, BasicConstraints, KeyUsage } from '../x509/certificate.js';
export { matchesHostname } from '../x509/hostname.js';
