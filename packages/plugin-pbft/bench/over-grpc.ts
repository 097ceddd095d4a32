// n=4 over gRPC with mutual TLS: four replica processes and one client process on loopback.
import { startGrpcCluster, type ChildEvent } from '../src/multiprocess/grpc-cluster.js';
import { mean, percentile } from './in-process.js';

export interface GrpcRow {
  /** B; 0 marks the one-operation-at-a-time latency row. */
  readonly batch: number;
  readonly payload: number;
  readonly opsPerSecond: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
}

export async function grpcBench(durationMs: number, warmupMs: number, rounds: number): Promise<GrpcRow[]> {
  const rows: GrpcRow[] = [];
  for (const batch of [1, 10, 100]) {
    const cluster = await startGrpcCluster({ replicas: 4, clients: 1, pbft: { batch_size: batch, batch_timeout: 1, timeout: 1000 } });
    try {
      // Warm the freshly started processes (JIT, TLS sessions) before measuring.
      for (let i = 0; i < 20; i++) await cluster.submit(cluster.clients[0]!, { op: 'set', key: `warm${i}`, value: i }, 30_000);
      if (batch === 10) {
        // One operation at a time: consensus latency without queueing.
        const alone = await cluster.clients[0]!.request<Extract<ChildEvent, { type: 'load' }>>({ type: 'load', concurrency: 1, payloadBytes: 0, durationMs, warmupMs });
        const sorted = [...alone.latencies].sort((a, b) => a - b);
        rows.push({ batch: 0, payload: 0, opsPerSecond: sorted.length / (durationMs / 1000), mean: mean(sorted), p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
        console.log(`gRPC n=4 one at a time: mean ${mean(sorted).toFixed(1)} ms`);
      }
      for (const payload of [0, 1024]) {
        let top: GrpcRow | undefined;
        for (let r = 0; r < rounds; r++) {
          const result = await cluster.clients[0]!.request<Extract<ChildEvent, { type: 'load' }>>({
            type: 'load',
            concurrency: Math.max(8, 4 * batch),
            payloadBytes: payload,
            durationMs,
            warmupMs,
          });
          const sorted = [...result.latencies].sort((a, b) => a - b);
          const row = { batch, payload, opsPerSecond: sorted.length / (durationMs / 1000), mean: mean(sorted), p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
          if (top === undefined || row.opsPerSecond > top.opsPerSecond) top = row;
        }
        rows.push(top!);
        console.log(`gRPC n=4 B=${batch} payload=${payload}: ${top!.opsPerSecond.toFixed(0)} ops/s, p50 ${top!.p50.toFixed(1)} ms`);
      }
    } finally {
      await cluster.stop();
    }
  }
  return rows;
}
