/**
 * Kraken REST OHLC poller: GET {base_url}/0/public/OHLC?pair=P&interval=M&since=S, each answer
 * one batch through the ingestion gate exactly as `warden ingest` takes the same payload from a
 * file: the last row (the still-open interval, always present) is held back, never taken.
 *
 *   since     the stored series head (its last open time): after a restart the first page
 *             overlaps what is stored, and the overlap is deduplicated by the gate (identical =
 *             duplicate, a no-op; different = a conflict, refused). An empty series starts at
 *             `since_s` (or Kraken's default: its last 720 candles).
 *   backfill  a full page (720 rows) is followed at once (rate limit permitting) by the next,
 *             from the answer's `last`, until a page is not full: then it polls every poll_ms.
 *   pacing    a token bucket (capacity, per_second) before every request.
 *   failures  HTTP status, timeout, network, malformed body, Kraken `error` array, rate limit:
 *             each logged (feed_retry with its kind) and retried after capped exponential backoff
 *             with jitter (a rate limit waits at least rate_limit_pause_ms). A batch the gate
 *             refuses stops the feed (FeedFailedError, exit 65): retrying the same data would only
 *             be refused again.
 */
import { canonicalSymbol } from '../core/market/symbols.js';
import type { GatePolicy } from '../core/market/gate.js';
import { CandleStore } from '../store/candle-store.js';
import { TokenBucket } from './backoff.js';
import { Feed, type FeedContext } from './feed.js';
import { gatePayload } from './gate-write.js';
import { krakenGet, KrakenRequestError, resultRows } from './kraken-http.js';

import { KRAKEN_OHLC_MINUTES, KRAKEN_OHLC_PAGE_ROWS } from './kraken-limits.js';

export interface RestOhlcOptions {
  /** e.g. https://api.kraken.com (no trailing path). */
  base_url: string;
  /** The pair as Kraken takes it in ?pair= (XBTUSD, XXBTZUSD, ETHUSD). */
  pair: string;
  interval_s: number;
  poll_ms: number;
  timeout_ms: number;
  rate: { capacity: number; per_second: number };
  rate_limit_pause_ms: number;
  /** Where an empty series starts (Unix seconds); unset = Kraken's last 720 candles. */
  since_s?: number;
  /** Stop (done) once a page is not full, i.e. caught up: `warden feed rest-ohlc --once`. */
  once?: boolean;
  policy?: GatePolicy;
}

export class RestOhlcFeed extends Feed {
  readonly kind = 'rest-ohlc' as const;
  readonly symbol: string;
  private readonly bucket: TokenBucket;

  constructor(name: string, ctx: FeedContext, readonly opts: RestOhlcOptions) {
    super(name, ctx);
    this.symbol = canonicalSymbol(opts.pair);
    if (!KRAKEN_OHLC_MINUTES.includes(opts.interval_s / 60)) throw new RangeError(`interval ${opts.interval_s}s: Kraken OHLC takes ${KRAKEN_OHLC_MINUTES.join(', ')} minutes`);
    this.bucket = new TokenBucket(opts.rate.capacity, opts.rate.per_second, this.clock.now());
  }

  url(since_s: number | null): string {
    const u = new URL('/0/public/OHLC', this.opts.base_url);
    u.searchParams.set('pair', this.opts.pair);
    u.searchParams.set('interval', String(this.opts.interval_s / 60));
    if (since_s !== null) u.searchParams.set('since', String(since_s));
    return u.toString();
  }

  protected async loop(signal: AbortSignal): Promise<void> {
    const store = new CandleStore(this.db);
    const head = await store.seriesHead(this.symbol, this.opts.interval_s);
    this.noteCtt(head?.ctt_ms ?? null);
    let since: number | null = head ? head.last_open_ms / 1000 : (this.opts.since_s ?? null);
    let attempt = 0;
    while (!signal.aborted) {
      const wait = this.bucket.take(this.clock.now());
      if (wait > 0 && !(await this.clock.sleep(wait, signal))) return;
      const url = this.url(since);
      let page;
      try {
        const answer = await krakenGet(url, this.opts.timeout_ms, signal);
        page = { body: answer.body, ...resultRows(answer.result, url) };
        if (page.rows.length === 0) throw new KrakenRequestError('malformed', `no rows (Kraken always sends the open interval) from ${url}`);
      } catch (e) {
        if (signal.aborted) return;
        if (!(e instanceof KrakenRequestError)) throw e;
        attempt++;
        const min = e.kind === 'rate_limited' ? this.opts.rate_limit_pause_ms : 0;
        if (!(await this.retryAfter(attempt, e.message, signal, min))) return;
        continue;
      }
      attempt = 0;
      this.setState('running');
      const report = await gatePayload(this.db, `${this.name} ${url}`, page.body, { pair: page.pair, rows: page.rows }, 'kraken-rest-ohlc', { symbol: this.symbol, interval_s: this.opts.interval_s, policy: this.opts.policy });
      this.noteBatch(report, { rows: page.rows.length, since });
      const last = typeof page.last === 'number' && Number.isSafeInteger(page.last) ? page.last : null;
      const full = page.rows.length >= KRAKEN_OHLC_PAGE_ROWS;
      const newest = (await store.seriesHead(this.symbol, this.opts.interval_s))?.last_open_ms ?? null;
      const next = newest === null ? since : newest / 1000;
      if (full && last !== null && (since === null || last > since)) {
        since = Math.max(last, next ?? last); // backfill: the next page at once
        continue;
      }
      since = next;
      if (this.opts.once) return;
      if (!(await this.clock.sleep(this.opts.poll_ms, signal))) return;
    }
  }
}
