/**
 * The runtime's book phases (lease_acquired, state_restored, loops_started, ready) for one book
 * (WARDEN_BOOK: a failure is the phase's, and the process exits with its code, as it always did)
 * and for several (WARDEN_BOOKS: a failing book is logged `book_failed` and the phase goes on;
 * books whose lease another process holds wait for the claim rounds). Also the process-wide
 * services loops_started starts once for every book: the read-only API, the operator side (one
 * inbox LISTEN routed to the book the row is for; on PGlite one operator channel, which routes by
 * stream) and the feeds.
 */
import type { Config, RUNTIME_OPTIONAL_VARS, RUNTIME_VARS } from './config/index.js';
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { HealthServer, HealthStatus } from './health.js';
import type { OperatorSide } from './operator-side.js';
import type { StartupPhase } from './phases.js';
import type { RuntimeBooks } from './books-config.js';
import type { BookFatal, BookSupervisor, SupervisorContext } from './book-supervisor.js';
import type { BookSet } from './book-set.js';

export type RuntimeConfig = Pick<Config, (typeof RUNTIME_VARS)[number]> & Partial<Pick<Config, (typeof RUNTIME_OPTIONAL_VARS)[number]>>;

/** Everything a runtime process holds; closed in reverse at shutdown (main.ts). */
export interface RuntimeCtx {
  log: Logger;
  status: HealthStatus;
  owner: string;
  config?: RuntimeConfig;
  books?: RuntimeBooks;
  feedSpecs: import('../feeds/config.js').FeedSpec[];
  http?: HealthServer;
  db?: Db;
  store?: EventStore;
  single?: BookSupervisor; // WARDEN_BOOK
  set?: BookSet; // WARDEN_BOOKS
  operator?: OperatorSide;
  feeds?: import('../feeds/host.js').FeedHost | null;
  api?: import('../api/server.js').ApiServer;
  telemetry?: import('./api-hook.js').RuntimeTelemetry | null; // set in config_validated when WARDEN_API_PORT is set
  monitors?: import('./monitors-hook.js').RuntimeMonitors | null; // WARDEN_MONITOR_INTERVAL_MS (./monitors-hook.ts)
  stopWatch?: () => void;
  stopSignal: NodeJS.Signals | null;
  fatal: BookFatal | null;
  wake: (() => void) | null;
}

type Phase = [StartupPhase, () => Promise<{ value: unknown; fields?: Record<string, unknown> }>];

async function supervisorContext(ctx: RuntimeCtx): Promise<SupervisorContext> {
  const c = ctx.config!;
  const { EventStore } = await import('../store/event-store.js');
  ctx.store ??= new EventStore(ctx.db!);
  return {
    db: ctx.db!, store: ctx.store, owner: ctx.owner, plane: c.WARDEN_EXECUTION_PLANE, leaseTtlMs: c.WARDEN_LEASE_TTL_MS,
    snapshotEveryEvents: c.WARDEN_SNAPSHOT_EVERY_EVENTS, snapshotDir: c.WARDEN_SNAPSHOT_DIR, ...(ctx.telemetry ? { hooks: ctx.telemetry.hooks } : {}),
  };
}

/** The API (before any market loop: a catch-up leaves the event loop few turns for module loading) and the operator side. */
async function startServices(ctx: RuntimeCtx, wake: (stream: string) => void, label: string): Promise<void> {
  const c = ctx.config!;
  if (ctx.telemetry) ctx.api = await (await import('./api-hook.js')).startRuntimeApi(ctx.db!, c.WARDEN_HTTP_HOST, c.WARDEN_API_PORT!, ctx.telemetry, ctx.log);
  const { startOperatorSide } = await import('./operator-side.js');
  ctx.operator = await startOperatorSide({ db: ctx.db!, store: ctx.store!, url: c.WARDEN_DATABASE_URL, stream: label, log: ctx.log, wake });
}

/** The feeds, then the monitors (they watch the feeds and every book of this runtime). */
async function startFeeds(ctx: RuntimeCtx): Promise<void> {
  ctx.feeds = await (await import('./feeds.js')).startRuntimeFeeds(ctx.feedSpecs, ctx.db!, ctx.log);
  const streams = ctx.books!.specs.map((s) => `book:${s.id}`);
  ctx.monitors = await (await import('./monitors-hook.js')).startRuntimeMonitors(ctx.db!, ctx.store!, ctx.log, ctx.config!.WARDEN_MONITOR_INTERVAL_MS, () => ctx.feeds ?? null, streams);
}

function readyPhase(ctx: RuntimeCtx, fields: () => Record<string, unknown>): Phase {
  return ['ready', async () => {
    ctx.status.ready = true;
    return { value: null, fields: { startup_ms: Math.round(performance.now()), http_port: ctx.http!.port, api_port: ctx.api?.port ?? null, ...fields() } };
  }];
}

/** One book: every failure is the phase's (exit with its code); a fatal error later ends the process. */
function singleBookPhases(ctx: RuntimeCtx): Phase[] {
  const sup = () => ctx.single!;
  return [
    ['lease_acquired', async () => {
      const { BookSupervisor } = await import('./book-supervisor.js');
      ctx.single = new BookSupervisor(ctx.books!.specs[0]!, await supervisorContext(ctx), ctx.log, (f) => {
        ctx.fatal ??= f;
        ctx.wake?.();
      });
      return { value: null, fields: await sup().acquire() };
    }],
    ['state_restored', async () => ({ value: null, fields: await sup().restore() })],
    ['loops_started', async () => {
      await sup().record();
      await startServices(ctx, (stream) => stream === sup().stream && sup().wakeInbox(), sup().stream);
      const fields = await sup().run();
      await startFeeds(ctx);
      return { value: null, fields: { ...fields, ...ctx.operator!.fields, feeds: ctx.feedSpecs.length } };
    }],
    readyPhase(ctx, () => ({ seq: sup().runner!.seq, state_hash: sup().runner!.stateHash })),
  ];
}

/** Several books: a failing book stops alone; books held elsewhere are claimed by later rounds. */
function multiBookPhases(ctx: RuntimeCtx): Phase[] {
  const c = () => ctx.config!;
  const roundMs = () => Math.floor(c().WARDEN_LEASE_TTL_MS / 3);
  const set = () => ctx.set!;
  const ids = (state: string) => set().books.filter((b) => b.state === state).map((b) => b.spec.id);
  return [
    ['lease_acquired', async () => {
      const { BookSet } = await import('./book-set.js');
      ctx.set = new BookSet(ctx.books!.specs, await supervisorContext(ctx), {
        log: ctx.log, roundMs: roundMs(), pace: ctx.db!.engine !== 'pglite',
        onAllFailed: (first) => {
          ctx.fatal ??= { event: 'all_books_failed', reason: `every book of WARDEN_BOOKS failed; the first: ${first.reason}`, exitCode: first.exitCode };
          ctx.wake?.();
        },
      });
      const r = await set().acquireRound();
      return { value: null, fields: { owner: ctx.owner, ttl_ms: c().WARDEN_LEASE_TTL_MS, books_held: r.held, books_waiting: r.waiting } };
    }],
    ['state_restored', async () => ({ value: null, fields: { books_restored: await set().restoreHeld(), books_failed: ids('failed') } })],
    ['loops_started', async () => {
      await startServices(ctx, (stream) => set().wake(stream), set().books.map((b) => b.stream).join(','));
      const started = await set().startRestored();
      await startFeeds(ctx);
      set().startRounds();
      return { value: null, fields: { books_running: started, books_waiting: ids('waiting'), books_failed: ids('failed'), claim_round_ms: roundMs(), ...ctx.operator!.fields, feeds: ctx.feedSpecs.length } };
    }],
    readyPhase(ctx, () => ({ books_running: set().running.map((b) => b.spec.id), books_waiting: ids('waiting') })),
  ];
}

/** lease_acquired .. ready for the configured book(s). */
export function bookPhases(ctx: RuntimeCtx): Phase[] {
  return ctx.books!.multi ? multiBookPhases(ctx) : singleBookPhases(ctx);
}
