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
 * One book (WARDEN_BOOK) or several (WARDEN_BOOKS): the per-book work (lease, restore, quarantine,
 * step and market loops, stop) is ./book-supervisor.ts. With one book any failure of the book ends
 * the process with its exit code, as it always did; with several, ./book-set.ts stops the failed
 * book alone, and on PostgreSQL claims the books whose lease is free (shared with other processes
 * given the same list). ./runtime-books.ts holds the three book phases for both forms.
 *
 * Shutdown on SIGTERM/SIGINT: /readyz turns 503, no new input is taken, the step in flight
 * finishes (a step is one transaction, never half of one), runtime.stopped is recorded, a
 * snapshot is written, the lease released (every running book), the store closed;
 * `shutdown_complete`, exit 0. A second signal exits at once (130/143): whatever was in flight is
 * rolled back by the database.
 */
import { hostname } from 'node:os';
import type { BookKernel } from '../core/book/index.js';
import { createLogger } from '../telemetry/logger.js';
import { ConfigError, loadEnv, runtimeRequired, validateConfig } from './config/index.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import { PhaseFailure, runPhase } from './phases.js';
import { bookPhases, type RuntimeCtx, type RuntimeConfig } from './runtime-books.js';

/** The whole clean shutdown must finish within this, or the runtime exits 70 saying so. */
export const SHUTDOWN_MS_MAX = 20_000;
export { QUARANTINE_WATCH_INTERVAL_MS } from './quarantine-watch.js';

export interface RuntimeOptions {
  envFile: string | undefined;
  env: Record<string, string | undefined>;
  /** The book's kernel (overrides WARDEN_BOOK_CONFIG; tests). */
  kernel?: BookKernel;
  /** Human-readable logs (--pretty / --json-logs); undefined: when stdout is a terminal. */
  pretty?: boolean;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(Object.assign(new Error(`${what} did not finish within ${ms} ms`), { exitCode: EXIT.internal })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** config_validated: the variables, the books and their kernels, the snapshot dir, the feeds file, /healthz. */
async function validateConfigPhase(ctx: RuntimeCtx, opts: RuntimeOptions): Promise<{ value: RuntimeConfig; fields: Record<string, unknown> }> {
  const env = loadEnv(opts.envFile, opts.env);
  const config = validateConfig(env, runtimeRequired(env)) as RuntimeConfig;
  ctx.log = createLogger(config.WARDEN_LOG_LEVEL, 1, { component: 'runtime', ...(config.WARDEN_BOOKS === undefined ? { book: config.WARDEN_BOOK } : {}) }, { pretty: opts.pretty });
  // before the kernels: the timing seam feeds the API's metrics (policy evaluation, module execution)
  ctx.telemetry = config.WARDEN_API_PORT === undefined ? null : (await import('./api-hook.js')).runtimeTelemetry();
  // with tracing on (OTEL_ variables), also spans per harness task, gate evaluation and module execution
  const { tracingOn } = await import('../telemetry/tracing.js');
  const { bothProbes, tracingProbe } = await import('../telemetry/trace-probe.js');
  const { loadRuntimeBooks } = await import('./books-config.js');
  ctx.books = await loadRuntimeBooks(config, opts.kernel, bothProbes(ctx.telemetry?.probe, tracingOn() ? tracingProbe() : undefined));
  const { checkSnapshotDir } = await import('./snapshot-files.js');
  try {
    checkSnapshotDir(config.WARDEN_SNAPSHOT_DIR);
  } catch (e) {
    throw new ConfigError([`WARDEN_SNAPSHOT_DIR=${config.WARDEN_SNAPSHOT_DIR} is not a writable directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  const feeds = await import('./feeds.js');
  ctx.feedSpecs = await feeds.loadRuntimeFeeds(config.WARDEN_FEEDS);
  const { startHealth } = await import('./health.js');
  ctx.http = await startHealth(config.WARDEN_HTTP_HOST, config.WARDEN_HTTP_PORT, () => ({
    ...ctx.status, ready: ctx.status.ready && (ctx.set === undefined || ctx.set.running.length > 0),
    feeds: feeds.feedHealth(ctx.feeds ?? null), books: ctx.set?.health() ?? (ctx.single ? [ctx.single.health()] : undefined),
  }));
  ctx.config = config;
  const kind = (k: BookKernel) => (k.market ? 'trading' : 'minimal');
  const [first] = ctx.books.specs;
  const bookFields = ctx.books.multi
    ? { books: ctx.books.specs.map((s) => ({ book: s.id, kernel: kind(s.kernel), book_config: s.configPath, config_hash: s.configHash })) }
    : { stream: `book:${first!.id}`, kernel: kind(first!.kernel), codec: first!.kernel.codec.name, book_config: first!.configPath, config_hash: first!.configHash };
  return {
    value: config,
    fields: {
      ...bookFields, execution_plane: config.WARDEN_EXECUTION_PLANE,
      engine: config.WARDEN_DATABASE_URL.startsWith('pglite:') ? 'pglite' : 'postgres',
      http: `${config.WARDEN_HTTP_HOST}:${ctx.http.port}`, http_port: ctx.http.port,
      snapshot_every_events: config.WARDEN_SNAPSHOT_EVERY_EVENTS, lease_ttl_ms: config.WARDEN_LEASE_TTL_MS,
      feeds: ctx.feedSpecs.map((f) => `${f.name}:${f.kind}`),
    },
  };
}

/** persistence_connected + schema_verified: the store, opened once for every book. */
function storePhases(ctx: RuntimeCtx): Array<[import('./phases.js').StartupPhase, () => Promise<{ value: unknown; fields?: Record<string, unknown> }>]> {
  return [
    ['persistence_connected', async () => {
      const { openDb } = await import('../store/open.js');
      const what = ctx.books!.multi ? ctx.books!.specs.map((s) => s.id).join(',') : `book:${ctx.books!.specs[0]!.id}`;
      ctx.db = await openDb(ctx.config!.WARDEN_DATABASE_URL, { command: `warden runtime ${what} (${ctx.owner})` });
      return { value: null, fields: { store: ctx.db.description, engine: ctx.db.engine, ...(ctx.db.engine === 'pglite' ? { durability: 'no fsync: survives a process crash, not a power loss' } : {}) } };
    }],
    ['schema_verified', async () => {
      const { verifySchema } = await import('../store/migrations.js');
      return { value: null, fields: { schema_version: await verifySchema(ctx.db!) } };
    }],
  ];
}

/** Stops everything without writing (a failed start-up, a fatal error, a failed shutdown). */
async function closeQuietly(ctx: RuntimeCtx): Promise<void> {
  ctx.stopWatch?.();
  await ctx.monitors?.stop().catch(() => undefined);
  if (ctx.feeds) await withTimeout(ctx.feeds.stop(), 5_000, 'feeds stop').catch(() => undefined);
  ctx.single?.halt();
  ctx.set?.halt();
  await ctx.operator?.close().catch(() => undefined);
  await ctx.api?.close().catch(() => undefined);
  await ctx.db?.close().catch(() => undefined);
  await ctx.http?.close().catch(() => undefined);
}

/** A fatal error (one book: the book failed; several: every book failed): logged, nothing more written. */
async function failFatal(ctx: RuntimeCtx): Promise<number> {
  const f = ctx.fatal!;
  ctx.status.ready = false;
  const single = ctx.single;
  const quarantined = single === undefined || f.cause === undefined ? null
    : await withTimeout(single.quarantineFor(f.cause, 'runtime'), 10_000, 'quarantine write').catch((e: unknown) => `recording the quarantine failed (${(e as Error).message})`);
  const note = quarantined ?? (f.event === 'book_quarantined' ? 'stopped writing; every start is refused until an operator releases the book' : 'stopped writing; restart recovers from the store');
  ctx.log.error({ event: f.event, reason: f.reason, exit_code: f.exitCode, note });
  await closeQuietly(ctx);
  return f.exitCode;
}

/** Clean shutdown after a signal; resolves with the exit code. */
async function shutdown(ctx: RuntimeCtx): Promise<number> {
  const t0 = performance.now();
  ctx.status.phase = 'stopping';
  const reason = String(ctx.stopSignal);
  let books: Array<{ book: string; seq: number | null; state_hash: string | null }> | null = null;
  try {
    await withTimeout((async () => {
      ctx.stopWatch?.();
      await ctx.monitors?.stop(); // a pass in flight records before the store closes
      await ctx.operator?.close(); // no new operator input; the channel's file is removed
      await ctx.feeds?.stop(); // the feeds' batches in flight commit before the store closes
      await ctx.api?.close();
      if (ctx.single) await ctx.single.stop(reason);
      if (ctx.set) books = await ctx.set.stopAll(reason);
      await ctx.db?.close();
      await ctx.http?.close();
    })(), SHUTDOWN_MS_MAX, 'shutdown');
  } catch (e) {
    ctx.log.error({ event: 'shutdown_failed', reason: (e as Error).message, exit_code: exitCodeOf(e) });
    await closeQuietly(ctx);
    return exitCodeOf(e);
  }
  const one = ctx.single;
  const seqs = books !== null ? { books } : { seq: one?.runner?.seq ?? null, state_hash: one?.started ? one.runner!.stateHash : null };
  ctx.log.info({ event: 'shutdown_complete', signal: ctx.stopSignal, duration_ms: Math.round(performance.now() - t0), ...seqs });
  return EXIT.ok;
}

/** Runs the runtime until it stops; resolves with the process exit code. */
export async function runRuntime(opts: RuntimeOptions): Promise<number> {
  const ctx: RuntimeCtx = {
    log: createLogger('info', 1, { component: 'runtime' }, { pretty: opts.pretty }),
    status: { phase: 'starting', ready: false }, feedSpecs: [], owner: `${hostname()}:${process.pid}`,
    stopSignal: null, fatal: null, wake: null,
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (ctx.stopSignal !== null) {
      ctx.log.warn({ event: 'shutdown_forced', signal, first_signal: ctx.stopSignal, reason: 'second signal: exiting at once; an uncommitted step is rolled back by the database' });
      process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    }
    ctx.stopSignal = signal;
    ctx.status.ready = false;
    ctx.log.info({ event: 'shutdown_requested', signal, phase: ctx.status.phase });
    ctx.wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await run(ctx, opts);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function run(ctx: RuntimeCtx, opts: RuntimeOptions): Promise<number> {
  const otel = await import('../telemetry/tracing.js'); // off (no-op spans, no SDK loaded) unless OTEL_ exporter variables are set
  const tracing = await otel.initTracing(opts.env, 'warden-runtime');
  const startupSpan = tracing === null ? undefined : otel.startSpan('startup');
  try {
    await runPhase(() => ctx.log, 'config_validated', () => validateConfigPhase(ctx, opts), startupSpan);
    ctx.status.phase = 'config_validated';
    for (const [phase, fn] of [...storePhases(ctx), ...bookPhases(ctx)]) {
      if (ctx.stopSignal !== null) break;
      await runPhase(ctx.log, phase, fn, startupSpan);
      ctx.status.phase = phase;
    }
    startupSpan?.end();
  } catch (e) {
    startupSpan?.end();
    await tracing?.shutdown().catch(() => undefined);
    // Give the leases back so the next attempt is not blocked for a ttl; nothing more is written.
    await withTimeout(ctx.single?.releaseQuietly() ?? ctx.set?.releaseAll() ?? Promise.resolve(), 5_000, 'lease release').catch(() => undefined);
    await closeQuietly(ctx);
    return e instanceof PhaseFailure ? e.exitCode : exitCodeOf(e);
  }
  if (ctx.store && ctx.stopSignal === null) {
    const { startQuarantineWatch } = await import('./quarantine-watch.js');
    ctx.stopWatch = await startQuarantineWatch(ctx.store, () => ctx.set?.running ?? (ctx.single ? [ctx.single] : []), (book, reason) => {
      if (ctx.set) return ctx.set.fail(book, { event: 'book_quarantined', reason, exitCode: EXIT.data });
      ctx.fatal ??= { event: 'book_quarantined', reason, exitCode: EXIT.data };
      ctx.wake?.();
    }, ctx.log);
  }
  // Run until a signal or a fatal error.
  if (ctx.stopSignal === null && ctx.fatal === null) await new Promise<void>((resolve) => (ctx.wake = resolve));
  ctx.stopWatch?.();
  const code = ctx.fatal !== null ? await failFatal(ctx) : await shutdown(ctx);
  await tracing?.shutdown().catch(() => undefined);
  return code;
}
