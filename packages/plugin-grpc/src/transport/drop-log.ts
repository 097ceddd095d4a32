import type { ClockService } from '@hypermesh/runtime';
import type { Logger } from 'pino';

/** How often one kind of drop from one peer may be logged again, with the count since. */
const REPEAT_MS = 60_000;

interface Entry {
  lastLoggedAt: number;
  unlogged: number;
}

/**
 * Logs a bad input once with its reason, then at most once a minute per (peer, reason) with the
 * number seen since: a peer sending garbage must not turn the log into a second attack.
 */
export class DropLog {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: ClockService,
  ) {}

  /** Notes one dropped input; logs when it is the first of its kind or a minute has passed. */
  note(peer: string, reason: string, message: string, detail: Record<string, unknown> = {}): void {
    const key = `${peer}\0${reason}`;
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { lastLoggedAt: now, unlogged: 0 });
      this.logger.warn({ peer, reason, ...detail }, message);
      return;
    }
    entry.unlogged++;
    if (now - entry.lastLoggedAt >= REPEAT_MS) {
      this.logger.warn({ peer, reason, ...detail, since: entry.unlogged }, `${message} (${entry.unlogged} since the last report)`);
      entry.lastLoggedAt = now;
      entry.unlogged = 0;
    }
  }
}
