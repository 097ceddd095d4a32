/**
 * A random scenario for the simulation suite, entirely derived from its seed: cluster size,
 * Byzantine replicas and behaviours, network faults, protocol settings, and a timeline of
 * submissions, crashes, restarts and partitions — never more than f replicas faulty, crashed or
 * cut off at once. It ends by healing everything and checking every invariant, liveness included.
 */
import { createRandom, type Random } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { BYZANTINE_BEHAVIOURS, type ByzantineBehaviour } from './byzantine.js';
import { createSimulatedCluster, type SimulatedCluster } from './cluster.js';

/** What a scenario was, for the failure message. */
export interface ScenarioDescription {
  readonly seed: string;
  readonly n: number;
  readonly faults: Readonly<Record<number, ByzantineBehaviour>>;
  readonly events: string[];
  /** Totals over correct replicas: views installed, state transfers, checkpoints. */
  readonly totals: { viewsInstalled: number; stateTransfers: number; checkpoints: number };
}

/** Options of {@link runRandomScenario}. */
export interface ScenarioOptions {
  /** Force the cluster size. */
  readonly n?: number;
  /** Submissions in the run (default 6–20). */
  readonly operations?: number;
  /** Logger for the nodes (default silent). */
  readonly logger?: Logger;
}

function pickDistinct(random: Random, from: readonly number[], count: number): number[] {
  return random.shuffle(from).slice(0, count);
}

/** Runs one seeded scenario; throws (with the seed and the timeline) when an invariant fails. */
export async function runRandomScenario(seed: string, options: ScenarioOptions = {}): Promise<ScenarioDescription> {
  const random = createRandom(`scenario:${seed}`);
  const n = options.n ?? (random.chance(0.75) ? 4 : 7);
  const f = Math.floor((n - 1) / 3);
  const indices = Array.from({ length: n }, (_, i) => i);
  const byzantine = pickDistinct(random, indices, random.int(f + 1));
  const faults: Record<number, ByzantineBehaviour> = {};
  for (const i of byzantine) faults[i] = random.pick(BYZANTINE_BEHAVIOURS);
  const honest = indices.filter((i) => faults[i] === undefined);
  const k = random.pick([4, 8, 16]);
  const lossy = random.chance(0.5);
  const events: string[] = [];
  const totals = { viewsInstalled: 0, stateTransfers: 0, checkpoints: 0 };
  const description: ScenarioDescription = { seed, n, faults, events, totals };
  const cluster: SimulatedCluster = await createSimulatedCluster({
    n,
    seed,
    faults,
    logger: options.logger,
    network: {
      latency: { kind: 'uniform', minMs: 1, maxMs: 2 + random.int(8) },
      drop: lossy ? random.uniform(0, 0.05) : 0,
      duplicate: random.uniform(0, 0.05),
      reorder: random.uniform(0, 0.1),
    },
    config: {
      checkpoint_interval: k,
      watermark_window: 2 * k,
      batch_size: random.pick([1, 4, 16]),
      batch_timeout: random.pick([0, 2, 5]),
    },
  });
  try {
    const operations = options.operations ?? 6 + random.int(15);
    let budget = f - byzantine.length;
    const crashed = new Set<number>();
    let partitioned = false;
    for (let i = 0; i < operations; i++) {
      const dice = random.next();
      if (dice < 0.08 && budget > 0) {
        const victim = random.pick(honest.filter((h) => !crashed.has(h)));
        events.push(`t=${Math.round(cluster.clock.now())} crash ${victim}`);
        await cluster.crash(victim);
        crashed.add(victim);
        budget--;
      } else if (dice < 0.14 && crashed.size > 0) {
        const back = random.pick([...crashed]);
        events.push(`t=${Math.round(cluster.clock.now())} restart ${back}`);
        await cluster.restart(back);
        crashed.delete(back);
        budget++;
      } else if (dice < 0.2 && budget > 0 && !partitioned) {
        const cut = pickDistinct(random, honest.filter((h) => !crashed.has(h)), 1);
        events.push(`t=${Math.round(cluster.clock.now())} partition ${cut.join(',')}`);
        cluster.partition(cut);
        partitioned = true;
        budget--;
      } else if (dice < 0.26 && partitioned) {
        events.push(`t=${Math.round(cluster.clock.now())} heal`);
        cluster.heal();
        partitioned = false;
        budget++;
      }
      const value = `${seed}:${i}`;
      const key = `k${random.int(5)}`;
      const op = random.chance(0.2) ? { op: 'get' as const, key } : random.chance(0.1) ? { op: 'delete' as const, key } : { op: 'set' as const, key, value };
      const via = random.pick(honest.filter((h) => !crashed.has(h)));
      cluster.submit(op, { via, timeoutMs: 600_000 }).catch(() => undefined);
      await cluster.runFor(random.int(40));
    }
    events.push(`t=${Math.round(cluster.clock.now())} heal all, restart all`);
    cluster.heal();
    for (const i of crashed) await cluster.restart(i);
    const settled = await cluster.runUntil(() => cluster.submissions.every((s) => s.state !== 'pending'), 60_000);
    events.push(`t=${Math.round(cluster.clock.now())} ${settled ? 'all answered' : 'still waiting'}`);
    cluster.assertInvariants({ liveness: true });
    for (const i of honest) {
      const e = cluster.events(i);
      totals.viewsInstalled += e.viewsInstalled;
      totals.stateTransfers += e.stateTransfers;
      totals.checkpoints += e.checkpoints;
    }
    return description;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`scenario ${JSON.stringify(seed)} (n=${n}, faults ${JSON.stringify(faults)}, events: ${events.join('; ')}) failed: ${why}`, { cause: err });
  } finally {
    await cluster.stop();
  }
}

/**
 * Runs scenarios `from` … `from + count − 1` (or the seeds in `PBFT_SEEDS`, comma-separated, to
 * replay failures) and returns one line per failure, each naming its seed.
 */
export async function runScenarios(from: number, count: number): Promise<{ runs: number; failures: string[] }> {
  const replay = process.env.PBFT_SEEDS?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const seeds = replay ?? Array.from({ length: count }, (_, i) => String(from + i));
  const failures: string[] = [];
  for (const seed of seeds) {
    try {
      await runRandomScenario(seed);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { runs: seeds.length, failures };
}
