/**
 * Runs one book after restore: applies commands as steps (decide -> append in ONE transaction ->
 * evolve only after the commit), one step at a time; writes snapshots every N events and on
 * stop; renews the writer lease; polls the operator inbox. Generic over the BookKernel seam.
 *
 * Failure policy (crash-only): a failed write, a lost lease or an unverifiable snapshot stops all
 * writing and is reported through onFatal (the caller logs and exits); restart recovers, and by
 * determinism recomputes the same events. Read-only failures (an inbox poll, a lease renewal) are
 * logged and retried, but a lease not renewed for a whole ttl counts as lost.
 *
 * Market loop (kernels with a market feed): reads the store's accepted candles that close after
 * the last tick the state processed, groups them by close time and applies ONE tick per step (one
 * transaction: never half a tick), in order; then polls for new candles every
 * MARKET_POLL_INTERVAL_MS. A tick T is fed only once every symbol of the book has a stored candle
 * closing at or after T (a symbol's missing hour then reads as no bar, as in the backtest), or, once
 * the book's data.lateness_ms is exceeded on the wall clock (or at once for a symbol already skipped
 * at the tick before), with the missing symbols skipped (recorded in the tick);
 * a candle arriving after its tick ran without it is recorded as late (market.late). With truth
 * epochs on, a tick runs only up to the truth epoch TE (core/book/epochs.ts). The
 * position is derived from the state alone, so a restart continues exactly after the last
 * committed tick: no duplicate, no skipped tick.
 */
import { artifactsOf, appendableEvent, TickAssembler, type BookEvent, type BookKernel, type BookState, type MarketFeed, type RuntimeCommand } from '../core/book/index.js';
import type { Candle } from '../core/market/candle.js';
import { toHex, type Hash } from '../core/canonical/hash.js';
import type { EventStore, Lease } from '../store/event-store.js';
import { LeaseError } from '../store/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import type { Restored } from './restore.js';
import { writeSnapshotFile } from './snapshot-files.js';
import { StepLoop } from './step-loop.js';
import { endSpan, startSpan, traceFields, withStepSpan } from '../telemetry/tracing.js';

export const INBOX_POLL_INTERVAL_MS = 250;
export const INBOX_BATCH_MAX = 100;
export const MARKET_POLL_INTERVAL_MS = 500;
/** Candles read per symbol per round (a round feeds the complete ticks among them, then reads again). */
export const MARKET_READ_BATCH = 500;
/** While ticks are fed, one info line (market_progress) at most this often; each step is a debug line. */
export const PROGRESS_LOG_INTERVAL_MS = 10_000;
/**
 * A catch-up yields to the event loop after this many ticks: PGlite answers in microtasks, so
 * without it timers and sockets (the inbox poll, a signal, the API) wait for a whole round.
 */
export const MARKET_YIELD_EVERY_TICKS = 16;

/** Reads candles of one series: from_open_ms <= open_time_ms < to_open_ms, oldest first, at most `limit`. */
export type CandleReader = (symbol: string, interval_s: number, from_open_ms: number, limit: number) => Promise<Candle[]>;

/** A tick the market loop may feed; `skipped` and `rule` when it was forced past late symbols. */
interface ReadyTick {
  readonly time_ms: number;
  readonly candles: readonly Candle[];
  readonly skipped?: readonly string[];
  readonly rule?: 'wall_clock' | 'still_late';
}

export interface RunnerOptions {
  log: Logger;
  snapshotEveryEvents: number;
  snapshotDir: string;
  leaseTtlMs: number;
  /** Telemetry hooks (src/telemetry/metrics.ts): a tick step's wall time, a failed market read. */
  onTickTimed?: (seconds: number) => void;
  onFeedError?: () => void;
  /** Called once when the runner must stop writing; the caller exits with exitCode. */
  onFatal: (event: 'lease_lost' | 'runtime_failed', reason: string, exitCode: number, cause?: unknown) => void;
}

export class BookRunner {
  private readonly loop: StepLoop;
  seq: number;
  headHash: Hash;
  lastSnapshotSeq: number;
  private chain: Promise<unknown> = Promise.resolve();
  private verifiedLogged = false;
  private failed = false;
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private lastRenewOkMs = Date.now();
  private ticksFed = 0;
  private fedSinceCaughtUp = -1; // -1: caught-up not yet logged in this run
  private inboxTimer: NodeJS.Timeout | undefined;
  private inboxWoken = false;
  private progressLoggedMs = performance.now();
  private fedSinceProgress = 0;
  /** The tick this runner first saw partly present, and when (the wall-clock lateness rule). */
  private waiting: { time_ms: number; since_ms: number } | null = null;
  /**
   * The symbols the last tick this runner fed ran without (late): the next ticks skip them at once
   * while they stay absent (a catch-up past a symbol that stopped does not wait lateness_ms per
   * tick); a complete tick empties it. In memory: after a restart the first skip waits again.
   */
  private stillLate = new Set<string>();
  private epochWaitLogged: number | null = null;

  constructor(
    private readonly store: EventStore,
    readonly lease: Lease,
    private readonly kernel: BookKernel,
    private readonly restored: Restored,
    private readonly opts: RunnerOptions,
  ) {
    this.loop = new StepLoop(kernel, restored.state, { write: (events) => this.appendStep(events) });
    this.seq = restored.seq;
    this.headHash = restored.head_hash;
    this.lastSnapshotSeq = restored.snapshot_seq ?? 0;
  }

  get state(): BookState {
    return this.loop.state;
  }

  get stateHash(): string {
    return this.kernel.stateHash(this.state);
  }

  /** Steps never interleave: each waits for the one before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Applies one command as one step; returns the number of events written. */
  step(command: RuntimeCommand): Promise<number> {
    return this.serial(() => this.applyStep(command));
  }

  private async applyStep(command: RuntimeCommand): Promise<number> {
    if (this.failed) throw new Error('the runner stopped writing after a fatal error');
    if (!this.verifiedLogged) {
      const t0 = performance.now();
      const v = await this.restored.verified; // rejects (IntegrityError) if the snapshot is bad
      this.verifiedLogged = true;
      if (this.restored.snapshot_seq !== null) {
        this.opts.log.info({ event: 'snapshot_verified', snapshot_seq: this.restored.snapshot_seq, events_folded: v.events_folded, proved_from_seq: v.from_seq, waited_ms: Math.round(performance.now() - t0) });
      }
    }
    let events: readonly BookEvent[];
    const t0 = performance.now();
    const span = command.kind === 'market.tick' ? startSpan('book.tick', undefined, { 'warden.stream': this.lease.stream, 'warden.tick_ms': command.time_ms }) : null;
    try {
      // decided and evolved in place (the kernel's task spans under this step's span), then appended in one transaction
      events = await withStepSpan(span, () => this.loop.apply(command));
    } catch (e) {
      if (span) endSpan(span, e);
      // A refused append, or a decider that threw (a bug): either way the state in memory is no longer
      // the log's, so nothing more is written; a restart restores from the store.
      if (!this.failed) this.fail(e instanceof LeaseError ? 'lease_lost' : 'runtime_failed', `${command.kind} failed, nothing of this step was written: ${(e as Error).message}`, exitCodeOf(e), e);
      throw e;
    }
    if (span) {
      let denied = 0;
      for (const e of events) if (e.type === 'policy.evaluated' && e.payload.verdict === 'BLOCK') denied++;
      span.setAttributes({ 'warden.events': events.length, 'warden.seq_to': this.seq, 'warden.gate_denials': denied });
      endSpan(span);
    }
    if (events.length === 0) return 0;
    // A catch-up feeds thousands of ticks: each is a debug line, summarized at info by market_progress.
    if (command.kind === 'market.tick') {
      this.opts.onTickTimed?.((performance.now() - t0) / 1000);
      if (this.opts.log.isLevelEnabled('debug')) {
        this.opts.log.debug({ event: 'step_committed', command: command.kind, tick_ms: command.time_ms, ...(span ? traceFields(span) : {}), seq_from: this.seq - events.length + 1, seq_to: this.seq, types: events.map((e) => e.type), state_hash: this.stateHash });
      }
    } else {
      this.opts.log.info({ event: 'step_committed', command: command.kind, seq_from: this.seq - events.length + 1, seq_to: this.seq, types: events.map((e) => e.type), state_hash: this.stateHash });
    }
    if (this.seq - this.lastSnapshotSeq >= this.opts.snapshotEveryEvents) await this.writeSnapshot('periodic');
    return events.length;
  }

  /** The store sink of the step loop: one step = one append (one transaction). */
  private async appendStep(events: readonly BookEvent[]): Promise<void> {
    const stored = await this.store.append(this.lease, this.seq, events.map(appendableEvent), artifactsOf(events));
    const last = stored[stored.length - 1]!;
    this.seq = last.seq;
    this.headHash = last.hash;
  }

  private async writeSnapshot(kind: 'periodic' | 'shutdown'): Promise<void> {
    const encoded = this.kernel.codec.encode(this.state);
    try {
      await this.store.saveSnapshot(this.lease, this.seq, encoded, `${kind}:${this.kernel.codec.name}`);
    } catch (e) {
      this.fail(e instanceof LeaseError ? 'lease_lost' : 'runtime_failed', `snapshot at seq ${this.seq} failed: ${(e as Error).message}`, exitCodeOf(e), e);
      throw e;
    }
    this.lastSnapshotSeq = this.seq;
    let file: string | null = null;
    try {
      file = writeSnapshotFile(this.opts.snapshotDir, {
        stream: this.lease.stream, seq: this.seq, kind, codec: this.kernel.codec.name, state: encoded,
        state_hash: this.stateHash, head_hash: toHex(this.headHash),
      });
    } catch (e) {
      this.opts.log.warn({ event: 'snapshot_file_failed', seq: this.seq, dir: this.opts.snapshotDir, reason: (e as Error).message });
    }
    this.opts.log.info({ event: 'snapshot_written', kind, seq: this.seq, state_hash: this.stateHash, file });
  }

  private fail(event: 'lease_lost' | 'runtime_failed', reason: string, exitCode: number, cause?: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.clearTimers();
    this.opts.onFatal(event, reason, exitCode, cause); // cause: the caller quarantines the book for a data failure
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  /** Lease renewal every third of the ttl, and the inbox poll. */
  startLoops(): { lease_renew_interval_ms: number; inbox_poll_interval_ms: number } {
    const renewEvery = Math.floor(this.opts.leaseTtlMs / 3);
    this.lastRenewOkMs = Date.now();
    this.timers.push(setInterval(() => void this.renew(), renewEvery));
    this.scheduleInbox();
    return { lease_renew_interval_ms: renewEvery, inbox_poll_interval_ms: INBOX_POLL_INTERVAL_MS };
  }

  private async renew(): Promise<void> {
    if (this.failed || this.stopping) return;
    try {
      await this.store.renewLease(this.lease, this.opts.leaseTtlMs);
      this.lastRenewOkMs = Date.now();
    } catch (e) {
      if (e instanceof LeaseError) return this.fail('lease_lost', e.message, EXIT.held);
      const silentMs = Date.now() - this.lastRenewOkMs;
      this.opts.log.warn({ event: 'lease_renew_failed', reason: (e as Error).message, since_last_renewal_ms: silentMs });
      if (silentMs >= this.opts.leaseTtlMs) {
        this.fail('lease_lost', `the lease could not be renewed for ${silentMs} ms (ttl ${this.opts.leaseTtlMs} ms); another runtime may hold it now`, EXIT.held);
      }
    }
  }

  private scheduleInbox(delay = INBOX_POLL_INTERVAL_MS): void {
    if (this.failed || this.stopping) return;
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      this.inboxTimer = undefined;
      this.inboxWoken = false;
      void this.serial(() => this.pollInbox()).catch(() => undefined).finally(() => this.scheduleInbox(this.inboxWoken ? 0 : INBOX_POLL_INTERVAL_MS));
    }, delay);
    this.inboxTimer = t;
    this.timers.push(t);
  }

  /**
   * Polls the inbox now rather than at the next interval (an inbox row was recorded: LISTEN/NOTIFY,
   * src/runtime/operator-side.ts). A wake during a poll polls once more right after it.
   */
  wakeInbox(): void {
    if (this.failed || this.stopping) return;
    if (this.inboxTimer === undefined) {
      this.inboxWoken = true; // a poll is in flight
      return;
    }
    clearTimeout(this.inboxTimer);
    this.timers = this.timers.filter((x) => x !== this.inboxTimer);
    this.scheduleInbox(0);
  }

  private async pollInbox(): Promise<void> {
    if (this.failed || this.stopping) return;
    let commands;
    try {
      commands = await this.store.inboxRead(this.lease.stream, this.kernel.view(this.state).last_inbox_id, INBOX_BATCH_MAX);
    } catch (e) {
      this.opts.log.warn({ event: 'inbox_poll_failed', reason: (e as Error).message });
      return;
    }
    for (const c of commands) {
      if (this.failed || this.stopping) return; // stop taking input; the rest waits for the next start
      const n = await this.applyStep({
        kind: 'operator.command', time_ms: Date.parse(c.received_at), inbox_id: c.id, command: c.command, payload: c.payload, issued_by: c.issued_by,
      });
      this.opts.log.info({ event: 'inbox_command_processed', inbox_id: c.id, command: c.command, issued_by: c.issued_by, events: n, status: this.kernel.view(this.state).status });
    }
  }

  /**
   * Clean stop: no new input; waits for the step in flight; records runtime.stopped, writes the
   * shutdown snapshot and releases the lease.
   */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    await this.serial(async () => {
      await this.applyStep({ kind: 'runtime.stop', time_ms: Date.now(), reason });
      if (this.seq !== this.lastSnapshotSeq) await this.writeSnapshot('shutdown');
    });
    await this.store.releaseLease(this.lease);
  }

  /** Starts the market loop (after startLoops); the first round runs at once. */
  startMarket(feed: MarketFeed, read: CandleReader): { market_poll_interval_ms: number; symbols: readonly string[]; interval_s: number; last_tick_ms: number | null } {
    this.scheduleMarket(feed, read, 0);
    return { market_poll_interval_ms: MARKET_POLL_INTERVAL_MS, symbols: feed.symbols, interval_s: feed.interval_s, last_tick_ms: feed.lastTickMs(this.state) };
  }

  private scheduleMarket(feed: MarketFeed, read: CandleReader, delay: number): void {
    if (this.failed || this.stopping) return;
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      void this.marketRound(feed, read).then(
        (fed) => this.scheduleMarket(feed, read, fed > 0 ? 0 : MARKET_POLL_INTERVAL_MS),
        (e: unknown) => {
          if (this.failed || this.stopping) return;
          this.opts.onFeedError?.();
          this.opts.log.warn({ event: 'market_poll_failed', reason: (e as Error).message });
          this.scheduleMarket(feed, read, MARKET_POLL_INTERVAL_MS);
        },
      );
    }, delay);
    this.timers.push(t);
  }

  /**
   * What the market loop feeds next (reads only, outside any step; the tick rule is core/book/ticks.ts):
   *   late   candles of a symbol the book skipped as late, closing after its last recorded bar and at
   *          or before the last tick (each becomes a market.late step: bar.late, no tick rewritten);
   *   ticks  the complete ticks after the last tick, then, when the book's lateness is exceeded, the
   *          waiting ticks forced with the missing symbols skipped. Exceeded = wall clock (this runner
   *          has seen T partly present for lateness_ms), or at once when every missing symbol was
   *          already skipped at the tick before (still late). Not event time: feeds deliver symbols
   *          out of step (a backfill of one pair before another, a replay of two files), and a
   *          symbol ahead in the store must not make another one late. Only a symbol whose read
   *          came back short (nothing more stored) is ever skipped. The decision is recorded in the
   *          tick command (`skipped`), so replay never re-decides it.
   */
  private async readyTicks(feed: MarketFeed, read: CandleReader): Promise<{ late: Candle[]; ticks: ReadyTick[] }> {
    const intervalMs = feed.interval_s * 1000;
    const last = feed.lastTickMs(this.state);
    const from = last === null ? 0 : last - intervalMs + 1; // close > last  <=>  open > last - interval
    const ticks = new TickAssembler(feed.symbols, feed.interval_s, last);
    const late: Candle[] = [];
    const short = new Set<string>();
    for (const symbol of feed.symbols) {
      const seen = feed.lateness_ms === null || last === null ? null : feed.lastBarMs(this.state, symbol);
      const lagging = seen !== null && last !== null && seen < last;
      const got = await read(symbol, feed.interval_s, lagging ? seen - intervalMs + 1 : from, MARKET_READ_BATCH);
      if (got.length < MARKET_READ_BATCH) short.add(symbol);
      const onTime: Candle[] = [];
      for (const c of got) {
        const close = c.open_time_ms + intervalMs;
        if (last !== null && close <= last) {
          if (lagging) late.push(c);
        } else onTime.push(c);
      }
      ticks.push(symbol, onTime);
    }
    const out: ReadyTick[] = ticks.take();
    if (out.length > 0) this.stillLate.clear(); // a complete tick: every symbol delivered again
    if (feed.lateness_ms === null) return { late, ticks: out };
    for (let p = ticks.partial(); p !== null; p = ticks.partial()) {
      if (!p.missing.every((x) => short.has(x))) break;
      const stillLate = p.missing.every((x) => this.stillLate.has(x));
      if (this.waiting?.time_ms !== p.time_ms) this.waiting = { time_ms: p.time_ms, since_ms: Date.now() };
      const byClock = Date.now() - this.waiting.since_ms >= feed.lateness_ms;
      if (!stillLate && !byClock) break;
      const forced = ticks.forceNext();
      if (forced === null) break;
      out.push({ ...forced, rule: stillLate ? 'still_late' : 'wall_clock' });
      this.stillLate = new Set(forced.skipped);
      const more = ticks.take();
      if (more.length > 0) this.stillLate.clear();
      out.push(...more);
    }
    return { late, ticks: out };
  }

  /** One round: records late candles, then feeds every ready tick (up to the truth epoch), one step each; returns how many steps were fed. */
  private async marketRound(feed: MarketFeed, read: CandleReader): Promise<number> {
    if (this.failed || this.stopping) return 0;
    const { late, ticks } = await this.readyTicks(feed, read);
    let fed = 0;
    for (const c of late) {
      if (this.failed || this.stopping) return fed;
      const close = c.open_time_ms + feed.interval_s * 1000;
      try {
        await this.serial(async () => {
          const seen = feed.lastBarMs(this.state, c.symbol);
          if (this.failed || this.stopping || (seen !== null && close <= seen)) return;
          await this.applyStep({ kind: 'market.late', time_ms: close, candle: c });
          fed++;
          this.opts.log.info({ event: 'bar_late_recorded', symbol: c.symbol, close_ms: close, close: new Date(close).toISOString(), seq: this.seq });
        });
      } catch (e) {
        if (!this.failed) this.fail('runtime_failed', `late ${c.symbol} candle closing at ${close} failed, nothing of it was written: ${(e as Error).message}`, exitCodeOf(e), e);
        return fed;
      }
    }
    for (const t of ticks) {
      if (this.failed || this.stopping) return fed;
      if (!feed.epochAllows(this.state, t.time_ms)) {
        if (this.epochWaitLogged !== t.time_ms) {
          this.epochWaitLogged = t.time_ms;
          this.opts.log.info({ event: 'tick_waits_for_epoch', tick_ms: t.time_ms, tick: new Date(t.time_ms).toISOString(), truth_epoch_ms: this.state.truth_epoch_ms, epoch_auto: this.state.epoch_auto, status: this.state.status });
        }
        break;
      }
      try {
        await this.serial(async () => {
          // re-checked inside the step: the state may have moved since the read
          const last = feed.lastTickMs(this.state);
          if (this.failed || this.stopping || (last !== null && t.time_ms <= last) || !feed.epochAllows(this.state, t.time_ms)) return;
          await this.applyStep(t.skipped === undefined ? { kind: 'market.tick', time_ms: t.time_ms, candles: t.candles } : { kind: 'market.tick', time_ms: t.time_ms, candles: t.candles, skipped: t.skipped });
          fed++;
          if (t.skipped !== undefined) this.opts.log.warn({ event: 'tick_skipped_late', tick_ms: t.time_ms, tick: new Date(t.time_ms).toISOString(), skipped: t.skipped, rule: t.rule, lateness_ms: feed.lateness_ms, seq: this.seq });
          this.logProgress(feed);
        });
      } catch (e) {
        if (!this.failed) this.fail('runtime_failed', `market tick at ${new Date(t.time_ms).toISOString()} (${t.time_ms}) failed, nothing of it was written: ${(e as Error).message}`, exitCodeOf(e), e);
        return fed;
      }
      if (fed % MARKET_YIELD_EVERY_TICKS === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // outside the step
    }
    this.ticksFed += fed;
    if (fed === 0 && this.fedSinceCaughtUp !== 0) {
      const last = feed.lastTickMs(this.state);
      this.opts.log.info({ event: 'market_caught_up', last_tick_ms: last, last_tick: last === null ? null : new Date(last).toISOString(), ticks_fed: this.ticksFed, seq: this.seq, state_hash: this.stateHash });
      this.fedSinceCaughtUp = 0;
    } else if (fed > 0) this.fedSinceCaughtUp = fed;
    return fed;
  }

  /** One info line per PROGRESS_LOG_INTERVAL_MS while ticks are fed (a catch-up): how far, how fast. */
  private logProgress(feed: MarketFeed): void {
    this.fedSinceProgress++;
    const now = performance.now();
    if (now - this.progressLoggedMs < PROGRESS_LOG_INTERVAL_MS) return;
    const last = feed.lastTickMs(this.state);
    this.opts.log.info({
      event: 'market_progress', ticks: this.fedSinceProgress, ticks_per_s: Math.round((this.fedSinceProgress * 1000) / (now - this.progressLoggedMs)),
      tick_ms: last, tick: last === null ? null : new Date(last).toISOString(), seq: this.seq,
    });
    this.progressLoggedMs = now;
    this.fedSinceProgress = 0;
  }

  /** Stops the loops without writing (fatal path or a forced exit). */
  halt(): void {
    this.stopping = true;
    this.clearTimers();
  }
}
