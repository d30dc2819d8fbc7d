/**
 * Several books in one runtime process (WARDEN_BOOKS): one ./book-supervisor.ts per book, each
 * with its own lease, step loop and snapshots. A failure in one book (integrity, quarantine, a
 * kernel error, a lost lease) stops that book only and is logged `book_failed` with its id; the
 * others go on. The process ends on its own only when every book has failed for good.
 *
 * Claiming (infra/RUNTIME_STARTUP_SEQUENCE.md, "Several books"): a round tries, in list order,
 * every book this process does not run and has not seen fail; a book whose lease another live
 * process holds stays `waiting`, and is tried again every round (the lease-renew cadence, ttl/3),
 * so a dead process's books are taken over once its leases expire (fencing by epoch, as for one
 * book). On PostgreSQL a process starting up takes ONE book per round until a round finds none
 * free: processes started together then split the list instead of the first taking it all. On
 * PGlite the process owns the directory (its lock file), so every book is taken at once.
 */
import type { Logger } from '../telemetry/logger.js';
import { LeaseError } from '../store/errors.js';
import { exitCodeOf } from '../exit-codes.js';
import { BookSupervisor, type BookFatal, type BookSpec, type SupervisorContext } from './book-supervisor.js';

export interface BookSetOptions {
  log: Logger;
  /** The claim round's period (the lease-renew cadence). */
  roundMs: number;
  /** One new book per round until a round finds none free (PostgreSQL: processes share the list). */
  pace: boolean;
  /** Every book failed for good: nothing is left to run. */
  onAllFailed: (first: BookFatal) => void;
}

export class BookSet {
  readonly books: BookSupervisor[];
  private rounds: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private pacing: boolean;
  private firstFailure: BookFatal | null = null;

  constructor(specs: readonly BookSpec[], ctx: SupervisorContext, private readonly opts: BookSetOptions) {
    this.pacing = opts.pace;
    this.books = specs.map((spec) => {
      const sup: BookSupervisor = new BookSupervisor(spec, ctx, opts.log.child({ book: spec.id }), (f) => this.fail(sup, f));
      return sup;
    });
  }

  private inState(state: BookSupervisor['state']): BookSupervisor[] {
    return this.books.filter((b) => b.state === state);
  }

  get running(): BookSupervisor[] {
    return this.inState('running');
  }

  /** Takes the leases of free books (one when pacing); returns the ids taken and the ones held elsewhere. */
  async acquireRound(): Promise<{ held: string[]; waiting: Array<{ book: string; holder: string | null }> }> {
    const held: string[] = [];
    const waiting: Array<{ book: string; holder: string | null }> = [];
    for (const sup of this.inState('waiting')) {
      if (this.stopping || (this.pacing && held.length > 0)) {
        waiting.push({ book: sup.spec.id, holder: null });
        continue;
      }
      try {
        const fields = await sup.acquire();
        sup.log.info({ event: 'book_lease_acquired', ...fields });
        held.push(sup.spec.id);
      } catch (e) {
        const holder = e instanceof LeaseError ? e.holder : null;
        const note = e instanceof LeaseError ? `lease held by ${holder ?? '?'}` : `lease not taken: ${(e as Error).message}`;
        if (note !== sup.note) sup.log.info({ event: 'book_waiting', stream: sup.stream, holder, reason: note, retry_ms: this.opts.roundMs });
        sup.note = note;
        waiting.push({ book: sup.spec.id, holder });
      }
    }
    if (held.length === 0) this.pacing = false; // nothing free: from now on a round takes every free book
    return { held, waiting };
  }

  /** Restores every book whose lease was just taken; a book that fails is stopped alone. */
  async restoreHeld(): Promise<string[]> {
    const done: string[] = [];
    for (const sup of this.books.filter((b) => b.state === 'starting' && b.runner === null)) {
      if (await this.attempt(sup, 'state_restored', () => sup.restore())) done.push(sup.spec.id);
    }
    return done;
  }

  /** Starts every restored book (runtime.started, loops, market). */
  async startRestored(): Promise<string[]> {
    const done: string[] = [];
    for (const sup of this.books.filter((b) => b.state === 'starting' && b.runner !== null)) {
      if (await this.attempt(sup, 'book_started', () => sup.start())) done.push(sup.spec.id);
    }
    return done;
  }

  private async attempt(sup: BookSupervisor, event: string, fn: () => Promise<Record<string, unknown>>): Promise<boolean> {
    try {
      sup.log.info({ event: event === 'state_restored' ? 'book_state_restored' : event, stream: sup.stream, ...(await fn()) });
      return true;
    } catch (e) {
      sup.halt();
      if (!sup.started) await sup.releaseQuietly(); // nothing written: the lease goes back at once
      this.fail(sup, { event: event === 'state_restored' ? 'restore_failed' : 'start_failed', reason: (e as Error).message, exitCode: exitCodeOf(e) }, true);
      return false;
    }
  }

  /** Starts the claim rounds (after loops_started): every roundMs, take and start free books. */
  startRounds(): void {
    const next = () => {
      if (this.stopping) return;
      this.timer = setTimeout(() => {
        this.rounds = this.claimRound().catch((e: unknown) => this.opts.log.warn({ event: 'book_claim_failed', reason: (e as Error).message })).finally(next);
      }, this.opts.roundMs);
    };
    next();
  }

  private async claimRound(): Promise<void> {
    if (this.stopping || this.inState('waiting').length === 0) return;
    const { held } = await this.acquireRound();
    if (held.length === 0) return;
    await this.restoreHeld();
    if (this.stopping) return; // stopAll stops what is held
    const started = await this.startRestored();
    if (started.length > 0) this.opts.log.info({ event: 'books_claimed', books: started, running: this.running.map((b) => b.spec.id) });
  }

  /**
   * A book stops writing: a lost lease puts it back to `waiting` (another process runs it now;
   * it is claimed again if that one dies); anything else is `failed` for good in this process
   * (an integrity failure quarantines the book first). Logged `book_failed` with the book's id.
   */
  fail(sup: BookSupervisor, f: BookFatal, quiet = false): void {
    if (sup.state === 'failed' || sup.state === 'stopped') return;
    sup.halt();
    const lost = f.event === 'lease_lost';
    sup.state = lost ? 'waiting' : 'failed';
    sup.note = f.reason;
    void (async () => {
      const q = quiet || f.cause === undefined ? null : await sup.quarantineFor(f.cause, 'runtime').catch((e: unknown) => `recording the quarantine failed (${(e as Error).message})`);
      sup.log.error({
        event: 'book_failed', stream: sup.stream, failure: f.event, reason: f.reason, exit_code: f.exitCode,
        note: q ?? (lost ? 'another writer holds the book now; it is claimed again when its lease is free' : 'the book stopped writing; the other books run on; a restart of the process retries it'),
      });
      if (!lost) this.firstFailure ??= f;
      if (this.books.every((b) => b.state === 'failed')) this.opts.onAllFailed(this.firstFailure!);
    })();
  }

  /** Polls a book's inbox now (an inbox row was recorded for `stream`). */
  wake(stream: string): void {
    this.books.find((b) => b.stream === stream)?.wakeInbox();
  }

  /** Stops writing everywhere at once (a process failure). */
  halt(): void {
    this.stopping = true;
    clearTimeout(this.timer);
    for (const b of this.books) b.halt();
  }

  /** Clean stop of every running book (each: step in flight, runtime.stopped, snapshot, lease released). */
  async stopAll(reason: string): Promise<Array<{ book: string; seq: number | null; state_hash: string | null }>> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.rounds; // a round in flight finishes first: what it took is stopped below
    const live = this.books.filter((b) => b.state === 'running' || b.state === 'starting');
    await Promise.all(live.map((b) => b.stop(reason)));
    return live.map((b) => ({ book: b.spec.id, seq: b.runner?.seq ?? null, state_hash: b.started ? b.runner!.stateHash : null }));
  }

  /** Gives back every lease after a failed start-up (nothing more is written). */
  async releaseAll(): Promise<void> {
    this.halt();
    await Promise.all(this.books.map((b) => b.releaseQuietly()));
  }

  health(): Array<Record<string, unknown>> {
    return this.books.map((b) => b.health());
  }
}
