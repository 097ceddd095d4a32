import type { ClockService, LogLine, TransportService } from '@hypermesh/runtime';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SchedulerError, SchedulerErrorCode } from '../errors.js';

const REQUEST = 'sched.logs';
const REPLY = 'sched.logs.reply';

const requestSchema = z.strictObject({ id: z.number().int().nonnegative(), key: z.string().max(300), tail: z.number().int().min(0).max(100_000).optional() });
const replySchema = z.strictObject({
  id: z.number().int().nonnegative(),
  lines: z.array(z.strictObject({ at: z.number(), stream: z.enum(['stdout', 'stderr', 'system']), text: z.string() })).optional(),
  error: z.string().optional(),
});

/** Options of {@link createRemoteLogs}. */
export interface RemoteLogsOptions {
  readonly transport: TransportService;
  readonly clock: ClockService;
  readonly logger: Logger;
  /** This node's logs of a workload, or `undefined` when it never ran here. */
  readonly local: (key: string, tail?: number) => LogLine[] | undefined;
  /** Counts malformed messages. */
  readonly onBadMessage?: () => void;
}

/** Reads the logs of workloads that run on other nodes, over the node-to-node transport. */
export interface RemoteLogs {
  /** Asks `node` for a workload's logs. Rejects with `E_SCHED_LOGS_UNAVAILABLE` when it does not answer in time. */
  fetch(node: string, key: string, tail: number | undefined, timeoutMs: number): Promise<LogLine[]>;
  /** Stops serving and asking. */
  close(): void;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * Serves this node's workload logs to other nodes and asks them for theirs, on the `sched.logs`
 * channel (request/reply with ids, since the transport has datagram semantics). Replies are cut to
 * fit the transport's largest message; a malformed message is counted, logged once and dropped.
 */
export function createRemoteLogs(options: RemoteLogsOptions): RemoteLogs {
  const { transport, clock } = options;
  let nextId = 1;
  let warned = false;
  const waiting = new Map<number, { resolve: (lines: LogLine[]) => void; reject: (err: Error) => void }>();
  const bad = (from: string, reason: string) => {
    options.onBadMessage?.();
    if (!warned) options.logger.warn({ from, reason }, 'dropped a malformed sched.logs message (logged once)');
    warned = true;
  };
  const parse = (from: string, payload: Uint8Array): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(payload));
    } catch {
      bad(from, 'not JSON');
      return undefined;
    }
  };

  const unsubscribeRequests = transport.subscribe(REQUEST, (from, payload) => {
    const request = requestSchema.safeParse(parse(from, payload));
    if (!request.success) return bad(from, request.error.issues[0]?.message ?? 'invalid request');
    const lines = options.local(request.data.key, request.data.tail);
    if (lines === undefined) return void transport.send(from, REPLY, encode({ id: request.data.id, error: `workload '${request.data.key}' never ran on node '${transport.nodeId}'` }));
    // drop the oldest lines until the reply fits in one message
    let start = 0;
    let reply = encode({ id: request.data.id, lines });
    while (reply.byteLength > transport.maxMessageBytes && start < lines.length) {
      start += Math.max(1, Math.ceil((lines.length - start) / 4));
      reply = encode({ id: request.data.id, lines: lines.slice(start) });
    }
    transport.send(from, REPLY, reply);
  });
  const unsubscribeReplies = transport.subscribe(REPLY, (from, payload) => {
    const reply = replySchema.safeParse(parse(from, payload));
    if (!reply.success) return bad(from, reply.error.issues[0]?.message ?? 'invalid reply');
    const pending = waiting.get(reply.data.id);
    if (pending === undefined) return; // late or duplicated
    waiting.delete(reply.data.id);
    if (reply.data.error !== undefined) pending.reject(new SchedulerError(SchedulerErrorCode.LogsUnavailable, reply.data.error));
    else pending.resolve(reply.data.lines ?? []);
  });

  return {
    fetch(node, key, tail, timeoutMs) {
      return new Promise<LogLine[]>((resolve, reject) => {
        const id = nextId++;
        const timer = clock.setTimeout(() => {
          waiting.delete(id);
          reject(new SchedulerError(SchedulerErrorCode.LogsUnavailable, `node '${node}' did not send the logs of '${key}' within ${timeoutMs} ms; is it up?`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (lines) => {
            clock.clearTimeout(timer);
            resolve(lines);
          },
          reject: (err) => {
            clock.clearTimeout(timer);
            reject(err);
          },
        });
        try {
          transport.send(node, REQUEST, encode({ id, key, ...(tail === undefined ? {} : { tail }) }));
        } catch (err) {
          waiting.delete(id);
          clock.clearTimeout(timer);
          reject(new SchedulerError(SchedulerErrorCode.LogsUnavailable, `cannot ask node '${node}' for the logs of '${key}': ${(err as Error).message}`, { cause: err }));
        }
      });
    },
    close() {
      unsubscribeRequests();
      unsubscribeReplies();
      for (const pending of waiting.values()) pending.reject(new SchedulerError(SchedulerErrorCode.LogsUnavailable, 'the scheduler is stopping'));
      waiting.clear();
    },
  };
}
