/**
 * Kraken WebSocket v2 `trade` subscriber -> 1-minute candles through the ingestion gate.
 *
 * One session = connect, subscribe {"method":"subscribe","params":{"channel":"trade",
 * "symbol":[S],"snapshot":false}}, then trades until the connection ends (closed, an error, no
 * message for idle_timeout_ms, a malformed trade message: any of these may have lost a trade).
 * Then it reconnects after capped exponential backoff with jitter, and CATCHES UP the gap over
 * REST (GET /0/public/Trades?pair=P&since=<ns of the last trade seen>, page after page) before
 * any candle is final again; WS trades that arrive meanwhile are buffered, and every trade is
 * applied once by its trade_id (ids increase per book: an id at or below the last applied is a
 * duplicate and dropped). So a disconnect mid-stream gives no duplicate and no missing candle.
 *
 * A candle is final, and goes to the gate, only when its minute has closed (a later trade, or
 * a message, e.g. Kraken's heartbeat, heard settle_ms past its end) AND no catch-up is pending. At start the feed resumes after
 * the stored 1m series (REST catch-up from its CTT), or from since_s, or, with neither, from the
 * first whole minute after it connects.
 */
import WebSocket from 'ws';
import { canonicalSymbol } from '../core/market/symbols.js';
import { KNOWN_PAIR_DECIMALS } from '../core/market/pairs.js';
import { formatUtc } from '../core/market/time.js';
import { CandleStore } from '../store/candle-store.js';
import { TokenBucket } from './backoff.js';
import { Feed, FeedFailedError, type FeedContext } from './feed.js';
import { gateRows, type FeedRow } from './gate-write.js';
import { krakenGet, KrakenRequestError, resultRows } from './kraken-http.js';
import { MinuteBuilder } from './minute-builder.js';
import { parseRestTradeWithId, parseWsMessage, TradeMessageError, type IdTrade } from './ws-messages.js';

/** Limits: REST pages in one catch-up (1000 trades each), and WS trades buffered meanwhile. */
export const CATCHUP_PAGES_MAX = 500;
export const CATCHUP_BUFFER_MAX = 200_000;

export interface WsTradesOptions {
  ws_url: string;
  rest_base_url: string;
  /** The pair for REST (?pair=XBTUSD); the WS symbol is its canonical BASE/QUOTE (BTC/USD). */
  pair: string;
  price_decimals?: number;
  settle_ms: number;
  timeout_ms: number;
  idle_timeout_ms: number;
  /** How often the clock closes minutes without a later trade. */
  tick_ms: number;
  rate: { capacity: number; per_second: number };
  since_s?: number;
  /** Trades per REST page (Kraken: 1000): a shorter page ends the catch-up. */
  rest_page_rows?: number;
}

export class WsTradesFeed extends Feed {
  readonly kind = 'ws-trades' as const;
  readonly symbol: string;
  private readonly decimals: number;
  private readonly bucket: TokenBucket;
  private builder!: MinuteBuilder;
  private lastId: number | null = null;
  private lastTimeUs = 0;
  private pending: FeedRow[] = [];
  /** Sessions that have connected (a test waits on this). */
  sessions = 0;

  get lastTradeId(): number | null {
    return this.lastId;
  }

  constructor(name: string, ctx: FeedContext, readonly opts: WsTradesOptions) {
    super(name, ctx);
    this.symbol = canonicalSymbol(opts.pair);
    const d = opts.price_decimals ?? KNOWN_PAIR_DECIMALS[this.symbol];
    if (d === undefined) throw new RangeError(`${this.symbol}: price decimals unknown (Kraken truncates vwap to them); set price_decimals`);
    this.decimals = d;
    this.bucket = new TokenBucket(opts.rate.capacity, opts.rate.per_second, this.clock.now());
  }

  protected async loop(signal: AbortSignal): Promise<void> {
    const store = new CandleStore(this.db);
    const head = await store.seriesHead(this.symbol, 60);
    const last = head ? await store.candleAtOrBefore(this.symbol, 60, head.last_open_ms) : null;
    this.noteCtt(head?.ctt_ms ?? null);
    let floor_us: number;
    let catchUp: boolean;
    if (head) [floor_us, catchUp] = [head.ctt_ms * 1000, true];
    else if (this.opts.since_s !== undefined) [floor_us, catchUp] = [Math.ceil(this.opts.since_s / 60) * 60_000_000, true];
    else [floor_us, catchUp] = [(Math.floor(this.clock.now() / 60_000) + 1) * 60_000_000, false];
    this.lastTimeUs = floor_us;
    this.builder = new MinuteBuilder(this.symbol, this.decimals, last, floor_us, this.name);
    let attempt = 0;
    while (!signal.aborted) {
      const end = await this.session(signal, catchUp);
      if (signal.aborted) return;
      catchUp = true; // whatever ended the session may have lost trades
      attempt = end.received ? 1 : attempt + 1;
      if (!(await this.retryAfter(attempt, end.reason, signal))) return;
    }
  }

  /** One connection; resolves when it ends, with why and whether any trade came through it. */
  private session(signal: AbortSignal, catchUp: boolean): Promise<{ reason: string; received: boolean }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.ws_url, { handshakeTimeout: this.opts.timeout_ms });
      let received = false;
      let ended = false;
      let catching = catchUp;
      let buffered: IdTrade[] = [];
      let work: Promise<void> = Promise.resolve();
      let idle: NodeJS.Timeout | undefined;
      let heardAt = 0; // the clock when the last message (a trade, a heartbeat) arrived
      const ticker = setInterval(() => enqueue(async () => {
        // Only up to the last message heard: a minute is closed by the clock only when the stream
        // has proved alive settle_ms past its end (a silent, dead connection closes nothing).
        if (!catching && !ended) this.pending.push(...this.builder.closeUntil(Math.min(this.clock.now(), heardAt) - this.opts.settle_ms));
        await this.flush();
      }), this.opts.tick_ms);
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        clearInterval(ticker);
        clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        work.then(() => resolve({ reason, received }), reject);
      };
      const fail = (e: unknown) => {
        if (ended) return;
        ended = true;
        clearInterval(ticker);
        clearTimeout(idle);
        ws.terminate();
        reject(e);
      };
      const enqueue = (fn: () => Promise<void>) => {
        work = work.then(async () => {
          await fn();
        }).catch((e: unknown) => {
          if (e instanceof FeedFailedError) return fail(e);
          end(`${(e as Error).message}`);
        });
      };
      const onAbort = () => end('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
      const bump = () => {
        clearTimeout(idle);
        idle = setTimeout(() => end(`network: no message for ${this.opts.idle_timeout_ms} ms`), this.opts.idle_timeout_ms);
      };
      ws.on('open', () => {
        this.sessions++;
        bump();
        this.setState(catching ? 'catching_up' : 'running');
        ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'trade', symbol: [this.symbol], snapshot: false }, req_id: this.sessions }));
        this.log.info({ event: 'feed_ws_connected', kind: this.kind, url: this.opts.ws_url, symbol: this.symbol, catch_up: catching, after_trade_id: this.lastId });
        if (catching) {
          enqueue(async () => {
            const n = await this.catchUp(signal);
            const later = buffered;
            buffered = [];
            catching = false;
            for (const t of later) this.apply(t);
            this.setState('running');
            this.log.info({ event: 'feed_caught_up', kind: this.kind, rest_trades: n, ws_buffered: later.length, last_trade_id: this.lastId });
            await this.flush();
          });
        }
      });
      ws.on('message', (data) => {
        bump();
        heardAt = this.clock.now();
        let msg;
        try {
          msg = parseWsMessage(String(data), this.symbol);
        } catch (e) {
          if (!(e instanceof TradeMessageError)) throw e;
          return end(`malformed: ${e.message}`);
        }
        if (msg.kind === 'subscribed' && !msg.ok) return end(`kraken_error: subscribe refused: ${msg.error ?? 'no reason given'}`);
        if (msg.kind !== 'trades') return;
        received = true;
        if (catching) {
          buffered.push(...msg.trades);
          if (buffered.length > CATCHUP_BUFFER_MAX) end(`catch-up too slow: more than ${CATCHUP_BUFFER_MAX} WS trades buffered`);
          return;
        }
        const trades = msg.trades;
        enqueue(async () => {
          for (const t of trades) this.apply(t);
          await this.flush();
        });
      });
      ws.on('close', (code) => end(`network: connection closed (${code})`));
      ws.on('error', (e) => end(`network: ${e.message}`));
    });
  }

  /** Applies one trade once (by id), in order; closed minutes wait in `pending`. */
  private apply(t: IdTrade): void {
    if (this.lastId !== null && t.id <= this.lastId) return;
    this.lastId = t.id;
    this.lastTimeUs = Math.max(this.lastTimeUs, t.time_us);
    const late = this.builder.late;
    this.pending.push(...this.builder.push(t));
    if (this.builder.late > late) {
      // Its minute was closed by the clock already: the stored candle misses this trade. Say so
      // loudly (raise settle_ms if it repeats); the gate never rewrites a stored candle.
      this.noteError(`trade ${t.id} arrived after its minute was closed (settle_ms ${this.opts.settle_ms} too short?)`);
      this.log.error({ event: 'feed_trade_after_close', kind: this.kind, trade_id: t.id, time_us: t.time_us, settle_ms: this.opts.settle_ms, late_total: this.builder.late });
    }
  }

  /** Fetches the trades after the last one seen over REST, page after page; returns how many were new. */
  private async catchUp(signal: AbortSignal): Promise<number> {
    let since_ns = BigInt(this.lastTimeUs) * 1000n - 1n;
    let applied = 0;
    for (let page = 0; page < CATCHUP_PAGES_MAX; page++) {
      const wait = this.bucket.take(this.clock.now());
      if (wait > 0) await this.clock.sleep(wait, signal);
      const u = new URL('/0/public/Trades', this.opts.rest_base_url);
      u.searchParams.set('pair', this.opts.pair);
      u.searchParams.set('since', String(since_ns));
      const url = u.toString();
      const { rows, last } = resultRows((await krakenGet(url, this.opts.timeout_ms, signal)).result, url);
      const before = applied;
      rows.forEach((r, i) => {
        const id = this.lastId;
        this.apply(parseRestTradeWithId(r, `${url} [${i}]`));
        if (this.lastId !== id) applied++;
      });
      if (rows.length < (this.opts.rest_page_rows ?? 1000)) return applied;
      // The next page starts just before the last trade's time, not at Kraken's `last`: trades
      // sharing that timestamp past the page end are then not skipped (ids drop the repeats).
      const own = BigInt(this.lastTimeUs) * 1000n - 1n;
      const next = applied > before && own > since_ns ? own : typeof last === 'string' && /^\d{1,25}$/.test(last) ? BigInt(last) : null;
      if (next === null || next <= since_ns) throw new KrakenRequestError('malformed', `Trades "last" ${JSON.stringify(last)} does not move past ${since_ns} (${url})`);
      since_ns = next;
    }
    throw new FeedFailedError(`${this.name}: the gap after trade ${this.lastId} (${formatUtc(Math.floor(this.lastTimeUs / 1000))}) needs more than ${CATCHUP_PAGES_MAX} REST pages; backfill it with the rest-ohlc feed first`);
  }

  /** Sends the closed minutes to the gate as one batch. */
  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const rows = this.pending.slice(); // taken off only once the gate has them (a failed write keeps them)
    const first = rows[0]!.candle.open_time_ms;
    const report = await gateRows(this.db, `${this.name} ws trades ${formatUtc(first)}`, 'kraken-ws-trades', this.symbol, 60, rows);
    this.pending.splice(0, rows.length);
    this.noteBatch(report, { minutes: rows.length, last_trade_id: this.lastId });
  }
}
