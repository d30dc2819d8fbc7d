/**
 * The runtime's monitor timer (F7, bounded automation): every WARDEN_MONITOR_INTERVAL_MS (unset:
 * RUNTIME_MONITOR_INTERVAL_MS_DEFAULT; 0: off) one pass of src/monitors/run.ts over the
 * runtime's store, its feeds' statuses included (feed_error runs only here). A pass that finds
 * what the last one found writes nothing; passes never overlap (a slow one skips the next tick);
 * a failed pass is logged (monitor_pass_failed) and the next one tries again: monitors never stop
 * or steer the book. Kept out of main.ts: main starts it once its loops run and stops it first
 * at shutdown (an in-flight pass is awaited, bounded by the caller's shutdown timeout).
 */
import { hostname } from 'node:os';
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedHost } from '../feeds/host.js';

export const RUNTIME_MONITOR_INTERVAL_MS_DEFAULT = 30_000;
/** Limits of WARDEN_MONITOR_INTERVAL_MS (0 = off). */
export const RUNTIME_MONITOR_INTERVAL_MS_MIN = 1000;
export const RUNTIME_MONITOR_INTERVAL_MS_MAX = 3_600_000;

export interface RuntimeMonitors {
  /** Runs one pass now (tests; the timer calls it too). Resolves when it is recorded. */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the timer, or returns null when `interval_ms` is 0. `feeds` is read at each pass (the
 * feed host starts after the loops). `books`: the books this runtime runs (default: every book:<id>).
 */
export async function startRuntimeMonitors(
  db: Db, store: EventStore, log: Logger, interval_ms: number | undefined, feeds: () => FeedHost | null | undefined, books?: readonly string[],
): Promise<RuntimeMonitors | null> {
  const every = interval_ms ?? RUNTIME_MONITOR_INTERVAL_MS_DEFAULT;
  if (every === 0) return null;
  const { runMonitors } = await import('../monitors/run.js');
  const { SuggestionLedger } = await import('../monitors/suggestions.js');
  const { ObserveCache } = await import('../monitors/observe.js');
  const cache = new ObserveCache();
  const { DEFAULT_THRESHOLDS } = await import('../monitors/thresholds.js');
  const ledger = new SuggestionLedger();
  const owner = `${hostname()}:${process.pid}`;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  const pass = async (): Promise<void> => {
    const host = feeds();
    const r = await runMonitors(db, store, {
      thresholds: DEFAULT_THRESHOLDS, now_ms: Date.now(), books, owner, log, ledger, cache, feeds: host ? () => host.statuses() : undefined,
    });
    log.debug({ event: 'monitor_pass', findings: r.findings.length, raised: r.raised.length, cleared: r.cleared.length, failures: r.failures.length, audit_head_seq: r.head_seq });
  };
  const runOnce = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    inFlight ??= pass()
      .catch((e: unknown) => log.warn({ event: 'monitor_pass_failed', reason: (e as Error).message, note: 'monitors only suggest: the book runs on; the next pass tries again' }))
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const timer = setInterval(() => void runOnce(), every);
  timer.unref();
  log.info({ event: 'monitors_started', interval_ms: every, books: books ?? 'all' });
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
