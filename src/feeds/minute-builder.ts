/**
 * 1-minute candles from a live trade stream: the kernel's TradeAggregator does the arithmetic
 * (Kraken's own rules: first/last trade, extremes, summed volume, count, vwap truncated); this
 * adds what a live stream needs and a file does not:
 *   - a minute is closed by a later trade, or by the clock once its end is settle_ms past;
 *   - a minute without any trade becomes Kraken's no-trade candle (flat at the previous close,
 *     volume 0, count 0, vwap 0), by a later trade or by the clock, as Kraken's REST does;
 *   - trades before `floor_us` are dropped (a minute already stored, or the minute the stream
 *     was joined in, which it saw only part of);
 *   - each candle carries its trades' source texts (raw_rows) so it traces to the bytes.
 * The caller decides WHEN rows may go to the gate (not while a gap is being caught up).
 */
import { TradeAggregator } from '../core/market/aggregate.js';
import type { MarketCandle } from '../core/market/candle.js';
import { Decimal } from '../core/money/decimal.js';
import { formatUtc } from '../core/market/time.js';
import type { FeedRow } from './gate-write.js';
import type { IdTrade } from './ws-messages.js';

const MINUTE_MS = 60_000;

export class MinuteBuilder {
  private agg: TradeAggregator;
  private accMinute: number | null = null;
  private raws = new Map<number, string[]>();

  constructor(
    readonly symbol: string,
    readonly price_decimals: number,
    /** The newest candle already stored (its close is a no-trade minute's price); null = none. */
    private last: MarketCandle | null,
    /** Trades before this time (µs) are dropped. */
    private floor_us: number,
    private readonly label: string,
  ) {
    this.agg = new TradeAggregator(symbol, 60, price_decimals);
  }

  get lastOpenMs(): number | null {
    return this.last?.open_time_ms ?? null;
  }

  /** Adds a trade (in time order); returns the minutes it closed, oldest first. */
  /** Trades dropped because their minute was already closed (by the clock, or stored). */
  late = 0;

  push(t: IdTrade): FeedRow[] {
    if (t.time_us < this.floor_us) {
      if (this.last !== null && t.time_us >= this.last.open_time_ms * 1000) this.late++;
      return [];
    }
    const minute = Math.floor(t.time_us / 1000 / MINUTE_MS) * MINUTE_MS;
    const out: FeedRow[] = [];
    for (const c of this.agg.push(t)) this.emit(c, out);
    this.accMinute = minute;
    let list = this.raws.get(minute);
    if (!list) this.raws.set(minute, (list = []));
    list.push(t.raw);
    return out;
  }

  /** Closes every minute that ended at or before cutoff_ms (the clock minus the settle time). */
  closeUntil(cutoff_ms: number): FeedRow[] {
    const out: FeedRow[] = [];
    if (this.accMinute !== null && this.accMinute + MINUTE_MS <= cutoff_ms) {
      const c = this.agg.flush();
      this.agg = new TradeAggregator(this.symbol, 60, this.price_decimals);
      this.accMinute = null;
      if (c) this.emit(c, out);
    }
    while (this.last && this.last.open_time_ms + 2 * MINUTE_MS <= cutoff_ms && (this.accMinute === null || this.last.open_time_ms + MINUTE_MS < this.accMinute)) {
      this.emit(this.flat(this.last.open_time_ms + MINUTE_MS, this.last.close), out);
    }
    return out;
  }

  private emit(c: MarketCandle, out: FeedRow[]): void {
    if (this.last && c.open_time_ms > this.last.open_time_ms + MINUTE_MS) {
      for (let m = this.last.open_time_ms + MINUTE_MS; m < c.open_time_ms; m += MINUTE_MS) this.row(this.flat(m, this.last.close), out);
    }
    this.row(c, out);
  }

  private row(c: MarketCandle, out: FeedRow[]): void {
    const trades = this.raws.get(c.open_time_ms);
    this.raws.delete(c.open_time_ms);
    out.push({ candle: c, raw: trades ? `[${trades.join(',')}]` : JSON.stringify({ no_trade_minute: formatUtc(c.open_time_ms) }), where: `${this.label} minute ${formatUtc(c.open_time_ms)}` });
    this.last = c;
    this.floor_us = Math.max(this.floor_us, (c.open_time_ms + MINUTE_MS) * 1000);
  }

  private flat(open_time_ms: number, price: Decimal): MarketCandle {
    return { symbol: this.symbol, interval_s: 60, open_time_ms, open: price, high: price, low: price, close: price, volume: Decimal.ZERO, vwap: Decimal.ZERO, count: 0 };
  }
}
