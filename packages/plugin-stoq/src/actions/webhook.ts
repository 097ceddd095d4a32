import type { ClockService, ThreatEvent } from '@hypermesh/runtime';

/** Options of {@link WebhookSink}. */
export interface WebhookOptions {
  readonly url: string;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First backoff (ms); doubles per retry. */
  readonly backoffMs: number;
  /** Per-attempt timeout (ms). */
  readonly timeoutMs: number;
  /** Deliveries waiting at most; beyond it the oldest is dropped (and counted). */
  readonly maxQueue?: number;
}

/** What happened to one alert. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped';

/** The JSON body POSTed for each alert. */
export interface WebhookAlert {
  readonly source: '@hypermesh/plugin-stoq';
  /** The node that detected it. */
  readonly node: string;
  readonly threat: ThreatEvent;
}

/**
 * Sends threat alerts as HTTP POSTs of JSON (`WebhookAlert`), one at a time in order, retrying
 * network errors, timeouts, 429 and 5xx answers with exponential backoff on the clock service.
 * A 4xx answer other than 429 is final (the receiver refuses this alert). Never throws: outcomes
 * go to `onOutcome`.
 */
export class WebhookSink {
  private readonly queue: WebhookAlert[] = [];
  private busy = false;
  private closed = false;
  private current: AbortController | undefined;

  constructor(
    private readonly options: WebhookOptions,
    private readonly clock: ClockService,
    private readonly onOutcome: (outcome: DeliveryOutcome, alert: WebhookAlert, detail: string) => void,
  ) {}

  /** Queues an alert. */
  send(alert: WebhookAlert): void {
    if (this.closed) return;
    const max = this.options.maxQueue ?? 1000;
    if (this.queue.length >= max) {
      const dropped = this.queue.shift()!;
      this.onOutcome('dropped', dropped, `the webhook queue is full (${max} alerts)`);
    }
    this.queue.push(alert);
    if (!this.busy) void this.drain();
  }

  /** Alerts waiting. */
  pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  /** Stops sending; queued alerts are dropped. */
  close(): void {
    this.closed = true;
    this.current?.abort();
    for (const alert of this.queue.splice(0)) this.onOutcome('dropped', alert, 'the node is stopping');
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const alert = this.queue.shift()!;
        await this.deliver(alert);
      }
    } finally {
      this.busy = false;
    }
  }

  private async deliver(alert: WebhookAlert): Promise<void> {
    const body = JSON.stringify(alert);
    let last = '';
    for (let attempt = 0; attempt <= this.options.retries && !this.closed; attempt++) {
      if (attempt > 0) await this.sleep(this.options.backoffMs * 2 ** (attempt - 1));
      const result = await this.attempt(body);
      if (result === 'ok') {
        this.onOutcome('delivered', alert, `after ${attempt + 1} attempt(s)`);
        return;
      }
      last = result.detail;
      if (!result.retry) break;
    }
    if (this.closed) this.onOutcome('dropped', alert, 'the node is stopping');
    else this.onOutcome('failed', alert, last);
  }

  private async attempt(body: string): Promise<'ok' | { retry: boolean; detail: string }> {
    const controller = new AbortController();
    this.current = controller;
    const timer = this.clock.setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'hypermesh-stoq' },
        body,
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return 'ok';
      const retry = response.status === 429 || response.status >= 500;
      return { retry, detail: `${this.options.url} answered HTTP ${response.status}` };
    } catch (err) {
      const detail = controller.signal.aborted ? `no answer from ${this.options.url} within ${this.options.timeoutMs} ms` : `${this.options.url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
      return { retry: true, detail };
    } finally {
      this.clock.clearTimeout(timer);
      this.current = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
