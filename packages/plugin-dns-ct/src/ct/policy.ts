import type { SctVerdict } from '@hypermesh/runtime';
import type { CtLog } from './log-list.js';
import { findLog, type CtLogs } from './verify-scts.js';

/**
 * How many SCTs a certificate needs.
 * - `chrome`: Chrome's CT policy — embedded SCTs: 2 for a lifetime of at most 180 days, 3 above;
 *   SCTs delivered by TLS or OCSP only: 2; in every case from at least `minOperators` operators.
 * - `fixed`: always `minScts` valid SCTs from at least `minOperators` operators.
 */
export interface CtPolicy {
  readonly mode: 'chrome' | 'fixed';
  /** Valid SCTs required in `fixed` mode (default 2). */
  readonly minScts?: number;
  /** Distinct log operators required (default 2). */
  readonly minOperators?: number;
}

/** The default policy: Chrome's. */
export const CHROME_CT_POLICY: CtPolicy = { mode: 'chrome', minOperators: 2 };

/** The outcome of {@link evaluateCtPolicy}. */
export interface CtPolicyResult {
  readonly compliant: boolean;
  /** Valid SCTs the policy requires for this certificate. */
  readonly required: number;
  /** Valid SCTs that count (known log, acceptable state at the SCT's time). */
  readonly counted: number;
  readonly distinctOperators: number;
  /** The CT part of the trust score, in [0, 1] (see {@link ctTrustScore}). */
  readonly trustScore: number;
  /** Why the policy is not met, and SCTs that did not count, as sentences. */
  readonly problems: readonly string[];
}

const DAY_MS = 86_400_000;

/** The embedded SCTs Chrome requires for a certificate's lifetime (notAfter − notBefore). */
export function requiredScts(notBefore: Date, notAfter: Date, policy: CtPolicy = CHROME_CT_POLICY, embedded = true): number {
  if (policy.mode === 'fixed') return policy.minScts ?? 2;
  if (!embedded) return 2;
  return notAfter.getTime() - notBefore.getTime() <= 180 * DAY_MS ? 2 : 3;
}

/** Why a log's SCT does not count at `timestamp`, or `undefined` when it does. */
function logStateProblem(log: CtLog, timestamp: number): string | undefined {
  const state = log.state;
  if (state === undefined) return undefined; // logs given by key only: the integrator vouches for them
  if (state.name === 'pending' || state.name === 'rejected') return `log '${log.description}' is ${state.name}`;
  if (state.name === 'retired' && timestamp >= state.since) {
    return `log '${log.description}' was retired at ${new Date(state.since).toISOString()}, before this SCT`;
  }
  return undefined;
}

/**
 * Evaluates the CT policy for a certificate from the verdicts of its SCTs (embedded, TLS or
 * OCSP). Never throws; every reason the policy is not met is in `problems`.
 */
export function evaluateCtPolicy(options: {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly scts: readonly SctVerdict[];
  readonly logs: CtLogs;
  readonly policy?: CtPolicy;
}): CtPolicyResult {
  const policy = options.policy ?? CHROME_CT_POLICY;
  const minOperators = policy.minOperators ?? 2;
  const embedded = options.scts.length === 0 || options.scts.some((sct) => sct.origin === 'embedded');
  const required = requiredScts(options.notBefore, options.notAfter, policy, embedded);
  const problems: string[] = [];
  const operators = new Set<string>();
  const countedLogs = new Set<string>();
  let badSignatures = 0;
  for (const sct of options.scts) {
    if (!sct.valid) {
      problems.push(`SCT from ${sct.logName === undefined ? `log ${sct.logId}` : `'${sct.logName}'`} is invalid: ${sct.reason ?? 'no reason given'}`);
      if (sct.logName !== undefined) badSignatures++;
      continue;
    }
    const log = findLog(options.logs, sct.logId);
    const stateProblem = log === undefined ? 'the log is not in the log list' : logStateProblem(log, sct.timestamp);
    if (stateProblem !== undefined) {
      problems.push(`SCT from '${sct.logName ?? sct.logId}' does not count: ${stateProblem}`);
      continue;
    }
    if (countedLogs.has(sct.logId)) continue; // two SCTs from one log count once
    countedLogs.add(sct.logId);
    operators.add(sct.operator ?? sct.logId);
  }
  const counted = countedLogs.size;
  if (counted < required) problems.push(`${counted} valid SCT${counted === 1 ? '' : 's'} from acceptable logs, the policy requires ${required}`);
  if (operators.size < minOperators) problems.push(`SCTs come from ${operators.size} log operator${operators.size === 1 ? '' : 's'}, the policy requires ${minOperators}`);
  const compliant = counted >= required && operators.size >= minOperators;
  return {
    compliant,
    required,
    counted,
    distinctOperators: operators.size,
    trustScore: ctTrustScore({ counted, required, distinctOperators: operators.size, minOperators, badSignatures }),
    problems,
  };
}

/**
 * The CT trust score of a certificate, in [0, 1]: 0.7 × the share of required SCTs present
 * (capped at 1) + 0.3 × the share of required operators present, minus 0.2 for each SCT from a
 * known log whose signature does not verify (a sign of tampering), floored at 0.
 */
export function ctTrustScore(input: {
  readonly counted: number;
  readonly required: number;
  readonly distinctOperators: number;
  readonly minOperators: number;
  readonly badSignatures: number;
}): number {
  const scts = input.required === 0 ? 1 : Math.min(1, input.counted / input.required);
  const operators = input.minOperators === 0 ? 1 : Math.min(1, input.distinctOperators / input.minOperators);
  const score = 0.7 * scts + 0.3 * operators - 0.2 * input.badSignatures;
  return Math.round(Math.max(0, Math.min(1, score)) * 1000) / 1000;
}
