/**
 * What every feed is: a loop that turns outside market data into batches for the ingestion gate
 * (src/ingest, the same path as `warden ingest`: never around it), with a status and a lag.
 *
 *   status  starting | running (data flowing or up to date) | retrying (backing off after a
 *           failure) | catching_up (WS: fetching a gap over REST) | done (replay/one-shot end) |
 *           stopped (asked to) | failed (the gate refused a batch: an operator must look)
 *   lag_ms  now - CTT, the close time of the newest candle the feed has accepted (or found
 *           stored), per feed; null before the first one.
 *
 * A feed never writes half a batch (a batch is one transaction in the gate) and never decides on
 * market data: the runtime reads what the gate accepted. Log lines: feed_started, feed_batch,
 * feed_retry {attempt, reason, delay_ms}, feed_rejected, feed_stopped, feed_failed.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Db } from '../store/db.js';
import type { IngestReport } from '../ingest/ingest.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy, type JitterSource } from './backoff.js';
import { systemClock, type FeedClock } from './clock.js';

export const FEED_KINDS = ['rest-ohlc', 'ws-trades', 'file-drop', 'replay'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];
export type FeedState = 'starting' | 'running' | 'retrying' | 'catching_up' | 'done' | 'stopped' | 'failed';

export interface FeedStatus {
  name: string;
  kind: FeedKind;
  state: FeedState;
  /** Close time (ms) of the newest candle accepted or found stored; null before any. */
  ctt_ms: number | null;
  lag_ms: number | null;
  batches: number;
  candles_accepted: number;
  duplicates: number;
  retries: number;
  /** The last failure, kept after recovery (with its time) so an operator sees what happened. */
  last_error: string | null;
  last_error_ms: number | null;
}

/** What a feed needs from its host (the runtime or `warden feed`). */
export interface FeedContext {
  db: Db;
  log: Logger;
  clock?: FeedClock;
  jitter?: JitterSource;
  backoff?: BackoffPolicy;
}

/** The gate refused a batch: the feed stops and says which (exit 65); nothing of the batch was written. */
export class FeedFailedError extends Error {
  override name = 'FeedFailedError';
  readonly exitCode = 65;
}

export abstract class Feed {
  abstract readonly kind: FeedKind;
  protected readonly clock: FeedClock;
  protected readonly jitter: JitterSource;
  protected readonly backoff: BackoffPolicy;
  protected readonly db: Db;
  protected readonly log: Logger;
  private st: Omit<FeedStatus, 'lag_ms' | 'kind' | 'name'> = {
    state: 'starting', ctt_ms: null, batches: 0, candles_accepted: 0, duplicates: 0, retries: 0, last_error: null, last_error_ms: null,
  };

  constructor(readonly name: string, ctx: FeedContext) {
    this.db = ctx.db;
    this.clock = ctx.clock ?? systemClock;
    this.jitter = ctx.jitter ?? Math.random;
    this.backoff = ctx.backoff ?? DEFAULT_BACKOFF;
    this.log = ctx.log.child({ feed: name });
  }

  /** Runs until `signal` aborts (resolves), the feed is done (resolves) or fails (FeedFailedError). */
  async run(signal: AbortSignal): Promise<void> {
    this.log.info({ event: 'feed_started', kind: this.kind });
    try {
      await this.loop(signal);
      this.setState(signal.aborted ? 'stopped' : 'done');
      this.log.info({ event: 'feed_stopped', kind: this.kind, state: this.st.state, ...this.counts() });
    } catch (e) {
      this.setState('failed');
      this.noteError((e as Error).message);
      this.log.error({ event: 'feed_failed', kind: this.kind, reason: (e as Error).message, ...this.counts() });
      throw e;
    }
  }

  protected abstract loop(signal: AbortSignal): Promise<void>;

  status(): FeedStatus {
    const lag = this.st.ctt_ms === null ? null : Math.max(0, this.clock.now() - this.st.ctt_ms);
    return { name: this.name, kind: this.kind, ...this.st, lag_ms: lag };
  }

  protected setState(state: FeedState): void {
    this.st.state = state;
  }

  protected noteCtt(ctt_ms: number | null): void {
    if (ctt_ms !== null && (this.st.ctt_ms === null || ctt_ms > this.st.ctt_ms)) this.st.ctt_ms = ctt_ms;
  }

  protected noteError(message: string): void {
    this.st.last_error = message;
    this.st.last_error_ms = this.clock.now();
  }

  /** Records an accepted (or already ingested) batch and logs it. */
  protected noteBatch(r: IngestReport, extra: Record<string, unknown> = {}, level: 'info' | 'debug' = 'info'): void {
    this.st.batches++;
    this.st.candles_accepted += r.accepted;
    this.st.duplicates += r.duplicates;
    this.noteCtt(r.ctt_ms);
    this.log[level]({ event: 'feed_batch', kind: this.kind, symbol: r.symbol, interval_s: r.interval_s, status: r.status, batch_id: r.batch_id, accepted: r.accepted, duplicates: r.duplicates, held_back: r.held_back, ctt_ms: r.ctt_ms, ...extra });
  }

  /** Logs a failure and waits the backoff for `attempt`; false when stopped meanwhile. */
  protected async retryAfter(attempt: number, reason: string, signal: AbortSignal, min_ms = 0): Promise<boolean> {
    this.st.retries++;
    this.noteError(reason);
    const delay = Math.max(min_ms, backoffDelayMs(this.backoff, attempt, this.jitter));
    this.setState('retrying');
    this.log.warn({ event: 'feed_retry', kind: this.kind, attempt, reason, delay_ms: delay });
    return this.clock.sleep(delay, signal);
  }

  private counts() {
    return { batches: this.st.batches, candles_accepted: this.st.candles_accepted, duplicates: this.st.duplicates, retries: this.st.retries };
  }
}
