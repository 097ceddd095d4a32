import { request } from 'node:http';
import { connect } from 'node:net';
import type { ClockService, HealthCheck } from '@hypermesh/runtime';
import type { Container } from '../containers/container-runtime.js';

/** A health check's verdict. */
export interface HealthVerdict {
  readonly ok: boolean;
  /** Why it failed. */
  readonly reason?: string;
}

/** Defaults of the timing fields of a health check. */
export const HEALTH_DEFAULTS = { intervalMs: 10_000, timeoutMs: 1000, failureThreshold: 3, initialDelayMs: 0 } as const;

/**
 * Runs one health check against a running container: `exec` runs a command inside it (exit code
 * 0 passes), `tcp` connects to its port, `http` sends `GET path` and passes on 2xx/3xx. Every kind
 * fails after `timeoutMs` of the clock. Never rejects.
 */
export function runHealthCheck(check: HealthCheck, container: Container, address: string, clock: ClockService): Promise<HealthVerdict> {
  const timeoutMs = check.timeoutMs ?? HEALTH_DEFAULTS.timeoutMs;
  switch (check.kind) {
    case 'exec':
      return container.exec(check.command, timeoutMs).then((r) =>
        r.code === 0 ? { ok: true } : { ok: false, reason: `${check.command.join(' ')} exited with ${r.code ?? 'no code (timed out)'}` },
      );
    case 'tcp':
      return new Promise((resolve) => {
        const socket = connect({ host: address, port: check.port });
        const done = (verdict: HealthVerdict) => {
          clock.clearTimeout(timer);
          socket.destroy();
          resolve(verdict);
        };
        const timer = clock.setTimeout(() => done({ ok: false, reason: `tcp ${address}:${check.port} timed out after ${timeoutMs} ms` }), timeoutMs);
        socket.once('connect', () => done({ ok: true }));
        socket.once('error', (err) => done({ ok: false, reason: `tcp ${address}:${check.port}: ${err.message}` }));
      });
    case 'http':
      return new Promise((resolve) => {
        const req = request({ host: address, port: check.port, path: check.path, method: 'GET', agent: false });
        const done = (verdict: HealthVerdict) => {
          clock.clearTimeout(timer);
          req.destroy();
          resolve(verdict);
        };
        const timer = clock.setTimeout(() => done({ ok: false, reason: `GET http://${address}:${check.port}${check.path} timed out after ${timeoutMs} ms` }), timeoutMs);
        req.once('response', (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 400 ? { ok: true } : { ok: false, reason: `GET http://${address}:${check.port}${check.path} answered ${status}` });
        });
        req.once('error', (err) => done({ ok: false, reason: `GET http://${address}:${check.port}${check.path}: ${err.message}` }));
        req.end();
      });
  }
}
