import { MAX_NODE_SCORE, type SchedulableNode, type SchedulingCycle, type SchedulingStatus } from '@hypermesh/runtime';
import type { SchedulingPlugin } from '../framework/scheduling-plugin.js';
import { unschedulable } from '../framework/status.js';

const NAME = 'reputation';
const isolated = unschedulable(NAME, 'node is isolated by the consensus fault detector');

/**
 * `reputation` (filter + score): keeps workloads off nodes the consensus fault detector distrusts.
 * A node's reputation and trust enter the replicated state through `sched.node.report` operations
 * (from `consensus.status()` and the `node.suspected` hook), so every replica sees the same values.
 * Isolated nodes and nodes below `minReputation` are filtered; the score is the reputation × 100,
 * halved for suspected nodes.
 */
export function reputationPlugin(minReputation: number): SchedulingPlugin {
  const low: SchedulingStatus = unschedulable(NAME, `reputation below ${minReputation}`);
  return {
    name: NAME,
    weight: 2,
    filter(_cycle: SchedulingCycle, node: SchedulableNode) {
      if (node.trust === 'isolated') return isolated;
      return node.reputation < minReputation ? low : undefined;
    },
    score(_cycle: SchedulingCycle, node: SchedulableNode) {
      const score = Math.floor(node.reputation * MAX_NODE_SCORE);
      return node.trust === 'suspected' ? Math.floor(score / 2) : score;
    },
  };
}
