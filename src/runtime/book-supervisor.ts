/**
 * One book inside a runtime process: its writer lease, restore, step loop (./book-runner.ts),
 * market loop, quarantine and stop. main.ts runs one of these for WARDEN_BOOK (any failure ends
 * the process, as it always did); ./book-set.ts runs several for WARDEN_BOOKS (a failure ends
 * that book only). Kept apart from main.ts so both paths do exactly the same per-book work.
 *
 * Life of a book: `waiting` (lease not held) -> acquire -> restore -> start -> `running`; then
 * `stopped` (clean stop: runtime.stopped, snapshot, lease released) or `failed` (nothing more is
 * written; an integrity failure of the book's log quarantines it first, in audit:quarantine).
 */
import type { BookKernel } from '../core/book/index.js';
import type { ExecutionPlane } from '../core/book/events.js';
import type { Db } from '../store/db.js';
import type { EventStore, Lease } from '../store/event-store.js';
import type { Logger } from '../telemetry/logger.js';
import { exitCodeOf } from '../exit-codes.js';
import { ConfigError } from './config/index.js';
import type { BookRunner } from './book-runner.js';

/** What one book runs: its id, kernel and (trading kernels) the config it was loaded from. */
export interface BookSpec {
  id: string;
  kernel: BookKernel;
  /** The book config file (WARDEN_BOOK_CONFIG or <WARDEN_BOOK_CONFIG_DIR>/<id>.book.json); null: no market. */
  configPath: string | null;
  configHash: string | null;
  /** How the config is named in messages, e.g. "WARDEN_BOOK_CONFIG=x.json". */
  configName: string;
}

/** Why a book stopped writing (the runner's onFatal, a quarantine seen while running, a failed start). */
export interface BookFatal {
  event: string;
  reason: string;
  exitCode: number;
  cause?: unknown;
}

export interface SupervisorContext {
  db: Db;
  store: EventStore;
  owner: string;
  plane: ExecutionPlane;
  leaseTtlMs: number;
  snapshotEveryEvents: number;
  snapshotDir: string;
  hooks?: { onTickTimed: (seconds: number) => void; onFeedError: () => void };
}

export type BookState = 'waiting' | 'starting' | 'running' | 'stopped' | 'failed';

export class BookSupervisor {
  readonly stream: string;
  state: BookState = 'waiting';
  lease: Lease | null = null;
  runner: BookRunner | null = null;
  /** runtime.started was written (a clean stop then records runtime.stopped). */
  started = false;
  /** The last reason the book is not running (a holder, a failure); null while running. */
  note: string | null = null;

  constructor(readonly spec: BookSpec, private readonly ctx: SupervisorContext, readonly log: Logger, private readonly onFatal: (f: BookFatal) => void) {
    this.stream = `book:${spec.id}`;
  }

  /** Takes the book's writer lease (LeaseError naming the holder if another owner holds it). */
  async acquire(): Promise<Record<string, unknown>> {
    this.runner = null; // a book claimed again (after a lost lease) restores afresh from the store
    this.started = false;
    this.lease = await this.ctx.store.acquireLease(this.stream, this.ctx.owner, this.ctx.leaseTtlMs);
    this.state = 'starting';
    return { stream: this.stream, owner: this.ctx.owner, epoch: this.lease.epoch, ttl_ms: this.ctx.leaseTtlMs };
  }

  /** Refuses a quarantined book, restores it, checks plane and config, builds the runner. */
  async restore(): Promise<Record<string, unknown>> {
    const { restore } = await import('./restore.js');
    const { BookRunner } = await import('./book-runner.js');
    const { quarantineStatus, QuarantinedError } = await import('../replay/quarantine.js');
    const { kernel, id } = this.spec;
    const quarantined = await quarantineStatus(this.ctx.store, this.stream);
    if (quarantined !== null) throw new QuarantinedError(this.stream, quarantined); // before restore: an operator must act first
    const restored = await restore(this.ctx.store, this.stream, kernel, (n) => this.log.warn(n)).catch((e: unknown) => this.quarantineAndFail(e, 'runtime restore'));
    const view = kernel.view(restored.state);
    if (view.execution_plane !== null && view.execution_plane !== this.ctx.plane) {
      throw new ConfigError([`WARDEN_EXECUTION_PLANE=${this.ctx.plane}, but book ${id} was opened on ${view.execution_plane}: a book keeps its plane (use another book id)`]);
    }
    const started = kernel.market?.startedConfigHash(restored.state) ?? null;
    if (kernel.market && started !== null && started !== kernel.market.config_hash) {
      throw new ConfigError([`${this.spec.configName} has config hash ${kernel.market.config_hash}, but book ${id} was started with ${started}: a book keeps its config (use another book id)`]);
    }
    const runner: BookRunner = new BookRunner(this.ctx.store, this.lease!, kernel, restored, {
      log: this.log, ...this.ctx.hooks, snapshotEveryEvents: this.ctx.snapshotEveryEvents, snapshotDir: this.ctx.snapshotDir, leaseTtlMs: this.ctx.leaseTtlMs,
      // only this runner's failure counts: a runner halted earlier (a lost lease, then the book claimed again) may still report a step in flight
      onFatal: (event, reason, exitCode, cause) => this.runner === runner && this.onFatal({ event, reason, exitCode, cause }),
    });
    this.runner = runner;
    return {
      snapshot_seq: restored.snapshot_seq, events_replayed: restored.events_replayed, head_seq: restored.seq, state_hash: restored.state_hash,
      status: view.status, last_inbox_id: view.last_inbox_id, previous_run_crashed: view.running,
    };
  }

  /** Records runtime.started (after the snapshot check), then runs the book's loops. */
  async start(): Promise<Record<string, unknown>> {
    await this.record();
    return this.run();
  }

  /** Records runtime.started; the first write awaits the snapshot's verification against a fresh fold (restore.verified). */
  async record(): Promise<void> {
    const runner = this.runner!;
    await runner.step({ kind: 'runtime.start', time_ms: Date.now(), book_id: this.spec.id, execution_plane: this.ctx.plane, owner: this.ctx.owner, lease_epoch: this.lease!.epoch })
      .catch((e: unknown) => this.quarantineAndFail(e, 'runtime snapshot verification'));
    this.started = true;
  }

  /** Starts the lease renewal, the inbox poll and (trading kernels) the market loop. */
  async run(): Promise<Record<string, unknown>> {
    const runner = this.runner!;
    const loops = runner.startLoops();
    let market = {};
    const feed = this.spec.kernel.market;
    if (feed) {
      const { CandleStore, toKernelCandle } = await import('../store/candle-store.js');
      const candles = new CandleStore(this.ctx.db);
      market = runner.startMarket(feed, async (symbol, interval_s, from, limit) => {
        for await (const batch of candles.iterateCandles(symbol, interval_s, from, Number.MAX_SAFE_INTEGER, limit)) return batch.map(toKernelCandle);
        return [];
      });
    }
    this.state = 'running';
    this.note = null;
    return { seq: runner.seq, state_hash: runner.stateHash, ...loops, ...market };
  }

  /**
   * Quarantines the book for a data failure of its log (audit:quarantine, never the book's
   * stream); returns a note for the failure message, or null when `e` is not a data failure.
   */
  async quarantineFor(e: unknown, detectedBy: string): Promise<string | null> {
    const { AUDIT_STREAM, quarantineOnFailure } = await import('../replay/quarantine.js');
    const out = await quarantineOnFailure(this.ctx.store, this.stream, e, detectedBy, { owner: this.ctx.owner });
    if (out === null) return null;
    if ('error' in out) {
      this.log.error({ event: 'quarantine_write_failed', stream: this.stream, audit_stream: AUDIT_STREAM, reason: out.error.message });
      return `recording the quarantine in ${AUDIT_STREAM} failed too (${out.error.message})`;
    }
    const seq = (e as { seq?: unknown }).seq ?? null;
    this.log.error({ event: 'book_quarantined', stream: this.stream, seq, detected_by: detectedBy, audit_stream: AUDIT_STREAM, audit_seq: out.audit_seq, written: out.written });
    return `${this.stream} is now quarantined (${AUDIT_STREAM} seq ${out.audit_seq}): the runtime refuses it until an operator runs ` +
      `warden replay verify --book ${this.spec.id}, then warden book release --book ${this.spec.id} --reason TEXT`;
  }

  private async quarantineAndFail(e: unknown, detectedBy: string): Promise<never> {
    const out = await this.quarantineFor(e, detectedBy);
    if (out === null) throw e;
    throw Object.assign(new Error(`${(e as Error).message}; ${out}`, { cause: e }), { name: (e as Error).name, exitCode: exitCodeOf(e) });
  }

  /** The reason to stop if the book is quarantined now (the quarantine watch), else null. */
  async quarantinedNow(): Promise<string | null> {
    const { quarantineStatus, describeQuarantine } = await import('../replay/quarantine.js');
    const q = await quarantineStatus(this.ctx.store, this.stream);
    return q === null ? null : describeQuarantine(this.stream, q);
  }

  /** Polls the inbox now (an inbox row was recorded for this book). */
  wakeInbox(): void {
    if (this.state === 'running') this.runner?.wakeInbox();
  }

  /** Stops writing at once: no runtime.stopped, no snapshot (a failure, or a forced exit). */
  halt(): void {
    this.runner?.halt();
  }

  /** Gives the lease back after a failed start (nothing was written), so the next attempt is not blocked for a ttl. */
  async releaseQuietly(): Promise<void> {
    if (this.lease) await this.ctx.store.releaseLease(this.lease).catch(() => undefined);
  }

  /** Clean stop: the step in flight finishes, runtime.stopped, a snapshot, the lease released. */
  async stop(reason: string): Promise<void> {
    if (this.runner && this.started) await this.runner.stop(reason);
    else if (this.lease) await this.ctx.store.releaseLease(this.lease);
    this.state = 'stopped';
  }

  /** The book as /healthz lists it. */
  health(): Record<string, unknown> {
    const running = this.state === 'running' && this.runner !== null;
    return {
      book: this.spec.id, state: this.state, epoch: this.lease?.epoch ?? null,
      seq: running ? this.runner!.seq : null, note: this.note,
    };
  }
}
