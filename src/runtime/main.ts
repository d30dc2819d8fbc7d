/**
 * The paper runtime's start-up sequence, run loop and shutdown (infra/RUNTIME_STARTUP_SEQUENCE.md).
 *
 * Phases, in order, each one log line with its duration: config_validated ->
 * persistence_connected -> schema_verified -> lease_acquired -> state_restored -> loops_started
 * -> ready. A failing phase logs startup_failed {phase, reason, exit_code} and the process exits
 * with that code (78 config, 69 store unavailable, 65 schema/integrity, 75 lock or lease held).
 * The store and the runner are imported only in the phases that need them, so a config error is
 * reported in milliseconds.
 *
 * Quarantine (src/replay/quarantine.ts): state_restored refuses a book quarantined in
 * audit:quarantine (exit 65, saying what broke, where, and what to do), before restoring it; an
 * integrity failure of the book's log found by restore, by the snapshot verification before the
 * first write, or by a later step quarantines the book (never writing into its stream) as it fails.
 *
 * Shutdown on SIGTERM/SIGINT: /readyz turns 503, no new input is taken, the step in flight
 * finishes (a step is one transaction, never half of one), runtime.stopped is recorded, a
 * snapshot is written, the lease released, the store closed; `shutdown_complete`, exit 0. A second
 * signal exits at once (130/143): whatever was in flight is rolled back by the database.
 */
import { hostname } from 'node:os';
import type { BookKernel } from '../core/book/index.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { ConfigError, loadConfig, RUNTIME_OPTIONAL_VARS, RUNTIME_VARS, type Config } from './config/index.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import { PhaseFailure, runPhase } from './phases.js';
import type { Db } from '../store/db.js';
import type { EventStore, Lease } from '../store/event-store.js';
import type { HealthServer } from './health.js';
import type { BookRunner } from './book-runner.js';
import type { OperatorSide } from './operator-side.js';

/** The whole clean shutdown must finish within this, or the runtime exits 70 saying so. */
export const SHUTDOWN_MS_MAX = 20_000;
/** How often a running book checks whether it was quarantined meanwhile. */
export const QUARANTINE_WATCH_INTERVAL_MS = 1_000;

export interface RuntimeOptions {
  envFile: string | undefined;
  env: Record<string, string | undefined>;
  /** The book's kernel (overrides WARDEN_BOOK_CONFIG; tests). */
  kernel?: BookKernel;
  /** Human-readable logs (--pretty / --json-logs); undefined: when stdout is a terminal. */
  pretty?: boolean;
}

import { tradingKernelFrom } from './book-config.js';

type RuntimeConfig = Pick<Config, (typeof RUNTIME_VARS)[number]> & Partial<Pick<Config, (typeof RUNTIME_OPTIONAL_VARS)[number]>>;

interface Resources {
  config?: RuntimeConfig;
  http?: HealthServer;
  db?: Db;
  store?: EventStore;
  lease?: Lease;
  runner?: BookRunner;
  operator?: OperatorSide; // inbox wake-up, and the operator channel on an embedded store
  feeds?: import('../feeds/host.js').FeedHost | null; // WARDEN_FEEDS (./feeds.ts)
  api?: import('../api/server.js').ApiServer;
  monitors?: import('./monitors-hook.js').RuntimeMonitors | null; // WARDEN_MONITOR_INTERVAL_MS (./monitors-hook.ts)
  started: boolean; // runtime.started was written
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(Object.assign(new Error(`${what} did not finish within ${ms} ms`), { exitCode: EXIT.internal })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Runs the runtime until it stops; resolves with the process exit code. */
export async function runRuntime(opts: RuntimeOptions): Promise<number> {
  let kernel!: BookKernel; // set in config_validated
  let telemetry: import('./api-hook.js').RuntimeTelemetry | null = null; // set in config_validated when WARDEN_API_PORT is set
  let log: Logger = createLogger('info', 1, { component: 'runtime' }, { pretty: opts.pretty });
  const r: Resources = { started: false };
  const status: import('./health.js').HealthStatus = { phase: 'starting', ready: false };
  let feedSpecs: import('../feeds/config.js').FeedSpec[] = [];
  let stopSignal: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  let fatal: { event: string; reason: string; exitCode: number; cause?: unknown } | null = null;
  /** Quarantines the book for a data failure; returns a note for the message, or null (set once the book is known). */
  let quarantineFor: (e: unknown, detectedBy: string) => Promise<string | null> = async () => null;
  let tracing: import('../telemetry/tracing.js').Tracing | null = null;
  let startupSpan: import('@opentelemetry/api').Span | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal !== null) {
      log.warn({ event: 'shutdown_forced', signal, first_signal: stopSignal, reason: 'second signal: exiting at once; an uncommitted step is rolled back by the database' });
      process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    }
    stopSignal = signal;
    status.ready = false;
    log.info({ event: 'shutdown_requested', signal, phase: status.phase });
    wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let watch: NodeJS.Timeout | undefined;
  const closeQuietly = async () => {
    clearInterval(watch);
    await r.monitors?.stop().catch(() => undefined);
    if (r.feeds) await withTimeout(r.feeds.stop(), 5_000, 'feeds stop').catch(() => undefined);
    r.runner?.halt();
    await r.operator?.close().catch(() => undefined);
    await r.api?.close().catch(() => undefined);
    await r.db?.close().catch(() => undefined);
    await r.http?.close().catch(() => undefined);
  };

  try {
    const otel = await import('../telemetry/tracing.js'); // off (no-op spans, no SDK loaded) unless OTEL_ exporter variables are set
    tracing = await otel.initTracing(opts.env, 'warden-runtime');
    startupSpan = tracing === null ? undefined : otel.startSpan('startup');
    const config = await runPhase(() => log, 'config_validated', async () => {
      const config = loadConfig(opts.envFile, opts.env, RUNTIME_VARS) as RuntimeConfig;
      log = createLogger(config.WARDEN_LOG_LEVEL, 1, { component: 'runtime', book: config.WARDEN_BOOK }, { pretty: opts.pretty });
      let configHash: string | null = null;
      // before the kernel: its timing seam feeds the API's metrics (policy evaluation, module execution)
      telemetry = config.WARDEN_API_PORT === undefined ? null : (await import('./api-hook.js')).runtimeTelemetry();
      if (opts.kernel !== undefined) kernel = opts.kernel;
      else if (config.WARDEN_BOOK_CONFIG !== undefined) {
        const t = await tradingKernelFrom(config.WARDEN_BOOK_CONFIG, config.WARDEN_BOOK, undefined, telemetry?.probe);
        kernel = t.kernel;
        configHash = t.config_hash;
      } else kernel = (await import('../core/book/index.js')).bookKernel(null, { probe: telemetry?.probe }); // a book without a market: operator commands only
      const { checkSnapshotDir } = await import('./snapshot-files.js');
      try {
        checkSnapshotDir(config.WARDEN_SNAPSHOT_DIR);
      } catch (e) {
        throw new ConfigError([`WARDEN_SNAPSHOT_DIR=${config.WARDEN_SNAPSHOT_DIR} is not a writable directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
      }
      feedSpecs = await (await import('./feeds.js')).loadRuntimeFeeds(config.WARDEN_FEEDS);
      const { startHealth } = await import('./health.js');
      const { feedHealth } = await import('./feeds.js');
      r.http = await startHealth(config.WARDEN_HTTP_HOST, config.WARDEN_HTTP_PORT, () => ({ ...status, feeds: feedHealth(r.feeds ?? null) }));
      r.config = config;
      return {
        value: config,
        fields: {
          stream: `book:${config.WARDEN_BOOK}`, execution_plane: config.WARDEN_EXECUTION_PLANE,
          engine: config.WARDEN_DATABASE_URL.startsWith('pglite:') ? 'pglite' : 'postgres',
          http: `${config.WARDEN_HTTP_HOST}:${r.http.port}`, http_port: r.http.port,
          snapshot_every_events: config.WARDEN_SNAPSHOT_EVERY_EVENTS, lease_ttl_ms: config.WARDEN_LEASE_TTL_MS,
          kernel: kernel.market ? 'trading' : 'minimal', codec: kernel.codec.name, book_config: config.WARDEN_BOOK_CONFIG ?? null, config_hash: configHash,
          feeds: feedSpecs.map((f) => `${f.name}:${f.kind}`),
        },
      };
    }, startupSpan);
    status.phase = 'config_validated';
    const stream = `book:${config.WARDEN_BOOK}`;
    const owner = `${hostname()}:${process.pid}`;
    /** A data failure of the book's log quarantines the book (audit:quarantine, never the book's stream); then fails. */
    const quarantineAndFail = async (e: unknown, detectedBy: string): Promise<never> => {
      const out = await quarantineFor(e, detectedBy);
      if (out === null) throw e;
      throw Object.assign(new Error(`${(e as Error).message}; ${out}`, { cause: e }), { name: (e as Error).name, exitCode: exitCodeOf(e) });
    };
    quarantineFor = async (e, detectedBy) => {
      if (!r.store) return null;
      const { AUDIT_STREAM, quarantineOnFailure } = await import('../replay/quarantine.js');
      const out = await quarantineOnFailure(r.store, stream, e, detectedBy, { owner });
      if (out === null) return null;
      if ('error' in out) {
        log.error({ event: 'quarantine_write_failed', stream, audit_stream: AUDIT_STREAM, reason: out.error.message });
        return `recording the quarantine in ${AUDIT_STREAM} failed too (${out.error.message})`;
      }
      const seq = (e as { seq?: unknown }).seq ?? null;
      log.error({ event: 'book_quarantined', stream, seq, detected_by: detectedBy, audit_stream: AUDIT_STREAM, audit_seq: out.audit_seq, written: out.written });
      return `${stream} is now quarantined (${AUDIT_STREAM} seq ${out.audit_seq}): the runtime refuses it until an operator runs ` +
        `warden replay verify --book ${config.WARDEN_BOOK}, then warden book release --book ${config.WARDEN_BOOK} --reason TEXT`;
    };
    const steps: Array<[import('./phases.js').StartupPhase, () => Promise<{ value: unknown; fields?: Record<string, unknown> }>]> = [
      ['persistence_connected', async () => {
        const { openDb } = await import('../store/open.js');
        r.db = await openDb(config.WARDEN_DATABASE_URL, { command: `warden runtime ${stream} (${owner})` });
        return { value: null, fields: { store: r.db.description, engine: r.db.engine, ...(r.db.engine === 'pglite' ? { durability: 'no fsync: survives a process crash, not a power loss' } : {}) } };
      }],
      ['schema_verified', async () => {
        const { verifySchema } = await import('../store/migrations.js');
        return { value: null, fields: { schema_version: await verifySchema(r.db!) } };
      }],
      ['lease_acquired', async () => {
        const { EventStore } = await import('../store/event-store.js');
        r.store = new EventStore(r.db!);
        r.lease = await r.store.acquireLease(stream, owner, config.WARDEN_LEASE_TTL_MS);
        return { value: null, fields: { stream, owner, epoch: r.lease.epoch, ttl_ms: config.WARDEN_LEASE_TTL_MS } };
      }],
      ['state_restored', async () => {
        const { restore } = await import('./restore.js');
        const { BookRunner } = await import('./book-runner.js');
        const { quarantineStatus, QuarantinedError } = await import('../replay/quarantine.js');
        const quarantined = await quarantineStatus(r.store!, stream);
        if (quarantined !== null) throw new QuarantinedError(stream, quarantined); // before restore: an operator must act first
        const restored = await restore(r.store!, stream, kernel, (n) => log.warn(n)).catch((e: unknown) => quarantineAndFail(e, 'runtime restore'));
        const view = kernel.view(restored.state);
        if (view.execution_plane !== null && view.execution_plane !== config.WARDEN_EXECUTION_PLANE) {
          throw new ConfigError([`WARDEN_EXECUTION_PLANE=${config.WARDEN_EXECUTION_PLANE}, but book ${config.WARDEN_BOOK} was opened on ${view.execution_plane}: a book keeps its plane (use another WARDEN_BOOK)`]);
        }
        const started = kernel.market?.startedConfigHash(restored.state) ?? null;
        if (kernel.market && started !== null && started !== kernel.market.config_hash) {
          throw new ConfigError([`WARDEN_BOOK_CONFIG=${config.WARDEN_BOOK_CONFIG ?? ''} has config hash ${kernel.market.config_hash}, but book ${config.WARDEN_BOOK} was started with ${started}: a book keeps its config (use another WARDEN_BOOK)`]);
        }
        r.runner = new BookRunner(r.store!, r.lease!, kernel, restored, {
          log, ...telemetry?.hooks, snapshotEveryEvents: config.WARDEN_SNAPSHOT_EVERY_EVENTS, snapshotDir: config.WARDEN_SNAPSHOT_DIR, leaseTtlMs: config.WARDEN_LEASE_TTL_MS,
          onFatal: (event, reason, exitCode, cause) => {
            fatal = { event, reason, exitCode, cause };
            wake?.();
          },
        });
        return {
          value: null,
          fields: {
            snapshot_seq: restored.snapshot_seq, events_replayed: restored.events_replayed, head_seq: restored.seq, state_hash: restored.state_hash,
            status: view.status, last_inbox_id: view.last_inbox_id, previous_run_crashed: view.running,
          },
        };
      }],
      ['loops_started', async () => {
        const runner = r.runner!;
        // The first write awaits the snapshot's verification against a fresh fold (restore.verified).
        await runner.step({ kind: 'runtime.start', time_ms: Date.now(), book_id: config.WARDEN_BOOK, execution_plane: config.WARDEN_EXECUTION_PLANE, owner, lease_epoch: r.lease!.epoch })
          .catch((e: unknown) => quarantineAndFail(e, 'runtime snapshot verification'));
        r.started = true;
        // before the market loop: a catch-up leaves the event loop few turns for module loading
        if (telemetry !== null) r.api = await (await import('./api-hook.js')).startRuntimeApi(r.db!, config.WARDEN_HTTP_HOST, config.WARDEN_API_PORT!, telemetry, log);
        const loops = runner.startLoops();
        const { startOperatorSide } = await import('./operator-side.js');
        r.operator = await startOperatorSide({ db: r.db!, store: r.store!, url: config.WARDEN_DATABASE_URL, stream, log, wake: () => runner.wakeInbox() });
        let market = {};
        if (kernel.market) {
          const { CandleStore, toKernelCandle } = await import('../store/candle-store.js');
          const candles = new CandleStore(r.db!);
          market = runner.startMarket(kernel.market, async (symbol, interval_s, from, limit) => {
            for await (const batch of candles.iterateCandles(symbol, interval_s, from, Number.MAX_SAFE_INTEGER, limit)) return batch.map(toKernelCandle);
            return [];
          });
        }
        r.feeds = await (await import('./feeds.js')).startRuntimeFeeds(feedSpecs, r.db!, log);
        r.monitors = await (await import('./monitors-hook.js')).startRuntimeMonitors(r.db!, r.store!, log, config.WARDEN_MONITOR_INTERVAL_MS, () => r.feeds, [stream]);
        return { value: null, fields: { seq: runner.seq, state_hash: runner.stateHash, ...loops, ...r.operator.fields, ...market, feeds: feedSpecs.length } };
      }],
      ['ready', async () => {
        status.ready = true;
        return { value: null, fields: { startup_ms: Math.round(performance.now()), http_port: r.http!.port, api_port: r.api?.port ?? null, seq: r.runner!.seq, state_hash: r.runner!.stateHash } };
      }],
    ];
    for (const [phase, fn] of steps) {
      if (stopSignal !== null) break;
      await runPhase(log, phase, fn, startupSpan);
      status.phase = phase;
    }
    startupSpan?.end();
  } catch (e) {
    startupSpan?.end();
    await tracing?.shutdown().catch(() => undefined);
    // Give the lease back so the next attempt is not blocked for a ttl; nothing more is written.
    if (r.lease) await withTimeout(r.store!.releaseLease(r.lease), 5_000, 'lease release').catch(() => undefined);
    await closeQuietly();
    detach(onSignal);
    return e instanceof PhaseFailure ? e.exitCode : exitCodeOf(e);
  }

  // A quarantine recorded while the book runs (e.g. `warden replay verify` beside it on
  // PostgreSQL) stops it at once: no further write into a book found broken, not even
  // runtime.stopped. Cheap: one head read per interval; the audit stream is folded only when it moved.
  if (r.store && stopSignal === null) {
    const { AUDIT_STREAM, quarantineStatus, describeQuarantine } = await import('../replay/quarantine.js');
    const bookStream = `book:${r.config!.WARDEN_BOOK}`;
    let seen = (await r.store.head(AUDIT_STREAM).catch(() => null))?.seq ?? 0;
    let checking = false;
    watch = setInterval(() => {
      if (checking || fatal !== null) return;
      checking = true;
      void (async () => {
        const head = (await r.store!.head(AUDIT_STREAM))?.seq ?? 0;
        if (head === seen) return;
        seen = head;
        const q = await quarantineStatus(r.store!, bookStream);
        if (q !== null && fatal === null) {
          fatal = { event: 'book_quarantined', reason: describeQuarantine(bookStream, q), exitCode: EXIT.data };
          wake?.();
        }
      })().catch((e: unknown) => log.warn({ event: 'quarantine_watch_failed', reason: (e as Error).message })).finally(() => (checking = false));
    }, QUARANTINE_WATCH_INTERVAL_MS);
  }

  // Run until a signal or a fatal error.
  if (stopSignal === null && fatal === null) await new Promise<void>((resolve) => (wake = resolve));
  clearInterval(watch);

  if (fatal !== null) {
    const f = fatal as { event: string; reason: string; exitCode: number; cause?: unknown };
    status.ready = false;
    const quarantined = await withTimeout(quarantineFor(f.cause, 'runtime'), 10_000, 'quarantine write').catch((e: unknown) => `recording the quarantine failed (${(e as Error).message})`);
    log.error({ event: f.event, reason: f.reason, exit_code: f.exitCode, note: quarantined ?? (f.event === 'book_quarantined' ? 'stopped writing; every start is refused until an operator releases the book' : 'stopped writing; restart recovers from the store') });
    await closeQuietly();
    await tracing?.shutdown().catch(() => undefined);
    detach(onSignal);
    return f.exitCode;
  }

  // Clean shutdown.
  const t0 = performance.now();
  status.phase = 'stopping';
  try {
    await withTimeout((async () => {
      await r.monitors?.stop(); // a pass in flight records before the store closes
      await r.operator?.close(); // no new operator input; the channel's file is removed
      await r.feeds?.stop(); // the feeds' batches in flight commit before the store closes
      await r.api?.close();
      if (r.runner && r.started) await r.runner.stop(String(stopSignal));
      else if (r.lease) await r.store!.releaseLease(r.lease);
      await r.db?.close();
      await r.http?.close();
    })(), SHUTDOWN_MS_MAX, 'shutdown');
  } catch (e) {
    log.error({ event: 'shutdown_failed', reason: (e as Error).message, exit_code: exitCodeOf(e) });
    await closeQuietly();
    detach(onSignal);
    return exitCodeOf(e);
  }
  await tracing?.shutdown().catch(() => undefined);
  log.info({
    event: 'shutdown_complete', signal: stopSignal, duration_ms: Math.round(performance.now() - t0),
    seq: r.runner?.seq ?? null, state_hash: r.started ? r.runner!.stateHash : null,
  });
  detach(onSignal);
  return EXIT.ok;
}

function detach(onSignal: (s: NodeJS.Signals) => void): void {
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}
