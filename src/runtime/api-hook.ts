/**
 * The runtime's own read-only API (WARDEN_API_PORT): the same server as `warden serve`, over the
 * runtime's open store (on PGlite the runtime holds the directory, so this is the way in), with the
 * runtime's metrics hooks (tick wall time, failed market reads, and the kernel's timing seam for
 * policy evaluation and module execution) feeding the same registry.
 * Loaded only when the variable is set.
 */
import type { Db } from '../store/db.js';
import type { Logger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import type { ApiServer } from '../api/server.js';
import type { ProbeKind, StepProbe } from '../core/book/probe.js';

export interface RuntimeTelemetry {
  readonly metrics: Metrics;
  readonly hooks: { onTickTimed: (seconds: number) => void; onFeedError: () => void };
  /** Given to the book kernel: times its policy evaluations and module executions (it sees the work; the events are the same). */
  readonly probe: StepProbe;
}

export function runtimeTelemetry(): RuntimeTelemetry {
  const metrics = new Metrics();
  return { metrics, hooks: { onTickTimed: (s) => metrics.observeTickDuration(s), onFeedError: () => metrics.feedError() }, probe: timingProbe(metrics) };
}

/** A StepProbe that records each timed piece of kernel work in the metrics' duration histograms. */
export function timingProbe(metrics: Metrics): StepProbe {
  return {
    time<T>(kind: ProbeKind, label: string, fn: () => T): T {
      const t0 = performance.now();
      try {
        return fn();
      } finally {
        metrics.observeDuration(kind, label, (performance.now() - t0) / 1000);
      }
    },
  };
}

export async function startRuntimeApi(db: Db, host: string, port: number, t: RuntimeTelemetry, log: Logger): Promise<ApiServer> {
  const { startApi } = await import('../api/server.js');
  const { fileURLToPath } = await import('node:url');
  const webDir = fileURLToPath(new URL('../../web/', import.meta.url)); // dist/src/runtime -> dist/web
  const server = await startApi({ db, host, port, webDir, metrics: t.metrics, log });
  log.info({ event: 'api_listening', url: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}/`, api_port: server.port });
  return server;
}
