/**
 * Trades -> candles, exactly as Kraken builds them, and resampling of candles to longer
 * intervals. Kraken's REST OHLC gives only the last 720 candles, so deep history is rebuilt
 * from trades; for that to be trustworthy the result must equal Kraken's own candles:
 *   open = first trade, close = last trade, high/low = extremes, volume = sum of quantities,
 *   count = number of trades, vwap = sum(p*q)/sum(q) TRUNCATED to the pair's price decimals
 *   (measured on the recorded payloads: truncation matches 272/272 minutes, half-even 201/272).
 * A minute with no trade inside the covered range becomes Kraken's no-trade candle: flat at the
 * previous close, volume 0, count 0, vwap 0 (its REST does exactly this). All arithmetic is exact.
 */
import { Decimal } from '../money/decimal.js';
import type { Candle } from './candle.js';

export interface Trade {
  /** Trade time in microseconds since the epoch (Kraken gives seconds with a fraction). */
  readonly time_us: number;
  readonly price: Decimal;
  readonly volume: Decimal;
}

export class AggregationError extends Error {
  override readonly name = 'AggregationError';
}

/** Limit: a no-trade run longer than this between two trades is refused (a day of 1m candles). */
export const NO_TRADE_FILL_MAX = 1440;

interface Acc {
  open_time_ms: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
  pq: Decimal;
  count: number;
}

/**
 * Streaming trade aggregator: push trades in time order, get each candle once its interval
 * is over (a later trade arrived). flush() returns the last, still-open candle: whether it is
 * final is the caller's call (a trade file for a closed period: yes; a live feed: no).
 */
export class TradeAggregator {
  private acc: Acc | null = null;
  private lastTimeUs = -1;
  private readonly step_ms: number;

  constructor(
    readonly symbol: string,
    readonly interval_s: number,
    readonly price_decimals: number,
    /** Emit Kraken's flat no-trade candles between trades (true) or leave the interval out (false). */
    readonly fill_no_trade = true,
  ) {
    if (!Number.isSafeInteger(interval_s) || interval_s <= 0) throw new RangeError(`interval_s must be a positive integer, got ${interval_s}`);
    this.step_ms = interval_s * 1000;
  }

  /** Adds a trade; returns the candles it closed (possibly with no-trade candles before it). */
  push(t: Trade): Candle[] {
    if (!Number.isSafeInteger(t.time_us) || t.time_us < 0) throw new AggregationError(`trade time ${t.time_us}us is not a non-negative integer`);
    if (t.time_us < this.lastTimeUs) throw new AggregationError(`trade at ${t.time_us}us is before the previous trade at ${this.lastTimeUs}us (trades must be in time order)`);
    if (!t.price.isPositive()) throw new AggregationError(`trade price ${t.price} is not positive`);
    if (t.volume.isNegative()) throw new AggregationError(`trade volume ${t.volume} is negative`);
    this.lastTimeUs = t.time_us;
    const bucket = Math.floor(t.time_us / 1000 / this.step_ms) * this.step_ms;
    const out: Candle[] = [];
    const a = this.acc;
    if (a && bucket === a.open_time_ms) {
      if (t.price.gt(a.high)) a.high = t.price;
      if (t.price.lt(a.low)) a.low = t.price;
      a.close = t.price;
      a.volume = a.volume.add(t.volume);
      a.pq = a.pq.add(t.price.mul(t.volume));
      a.count++;
      return out;
    }
    if (a) {
      out.push(this.finish(a));
      const missing = (bucket - a.open_time_ms) / this.step_ms - 1;
      if (missing > NO_TRADE_FILL_MAX && this.fill_no_trade) {
        throw new AggregationError(`${missing} intervals without a trade before ${t.time_us}us (max ${NO_TRADE_FILL_MAX} filled)`);
      }
      if (this.fill_no_trade) {
        for (let k = 1; k <= missing; k++) out.push(this.flat(a.open_time_ms + k * this.step_ms, a.close));
      }
    }
    this.acc = { open_time_ms: bucket, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.volume, pq: t.price.mul(t.volume), count: 1 };
    return out;
  }

  /** The current (last) candle, or null if no trade was pushed. Resets the aggregator. */
  flush(): Candle | null {
    const a = this.acc;
    this.acc = null;
    return a ? this.finish(a) : null;
  }

  private flat(open_time_ms: number, price: Decimal): Candle {
    return { symbol: this.symbol, interval_s: this.interval_s, open_time_ms, open: price, high: price, low: price, close: price, volume: Decimal.ZERO, vwap: Decimal.ZERO, count: 0 };
  }

  private finish(a: Acc): Candle {
    const vwap = a.volume.isZero() ? a.close : a.pq.div(a.volume, this.price_decimals, 'down');
    return { symbol: this.symbol, interval_s: this.interval_s, open_time_ms: a.open_time_ms, open: a.open, high: a.high, low: a.low, close: a.close, volume: a.volume, vwap, count: a.count };
  }
}

/** Aggregates a whole, time-ordered trade list; the last candle is included (see flush()). */
export function aggregateTrades(trades: Iterable<Trade>, symbol: string, interval_s: number, price_decimals: number): Candle[] {
  const agg = new TradeAggregator(symbol, interval_s, price_decimals);
  const out: Candle[] = [];
  for (const t of trades) out.push(...agg.push(t));
  const last = agg.flush();
  if (last) out.push(last);
  return out;
}

/** Intervals a series can be resampled to (1m, 5m, 15m, 30m, 1h, 4h, 12h, 1d). */
export const RESAMPLE_INTERVALS_S: readonly number[] = [60, 300, 900, 1800, 3600, 14400, 43200, 86400];

/**
 * Resamples time-ordered candles to a longer interval (a multiple of theirs). Only buckets
 * that are complete are emitted: a bucket ends at or before `until_ms` (default: the close of
 * the last input candle). No-trade candles (count 0) take no part in OHLC unless the whole
 * bucket had no trade; missing input intervals are no-trade intervals (Kraken's CSV omits them).
 * vwap is null: the inputs' vwaps are already truncated, so no exact vwap of the longer interval
 * can be derived from them (aggregate the trades for that).
 */
export function resample(candles: readonly Candle[], to_interval_s: number, opts: { until_ms?: number } = {}): Candle[] {
  if (candles.length === 0) return [];
  const from = candles[0]!.interval_s;
  if (!Number.isSafeInteger(to_interval_s) || to_interval_s < from || to_interval_s % from !== 0) {
    throw new RangeError(`cannot resample ${from}s candles to ${to_interval_s}s: the target must be a multiple of ${from}s`);
  }
  const step = to_interval_s * 1000;
  const last = candles[candles.length - 1]!;
  const until = opts.until_ms ?? last.open_time_ms + from * 1000;
  const out: Candle[] = [];
  let i = 0;
  while (i < candles.length) {
    const bucket = Math.floor(candles[i]!.open_time_ms / step) * step;
    let j = i;
    while (j < candles.length && candles[j]!.open_time_ms < bucket + step) j++;
    if (bucket + step <= until) out.push(merge(candles.slice(i, j), bucket, to_interval_s));
    i = j;
  }
  return out;
}

function merge(group: readonly Candle[], open_time_ms: number, interval_s: number): Candle {
  const traded = group.filter((c) => c.count > 0);
  const base = group[0]!;
  if (traded.length === 0) {
    return { ...base, interval_s, open_time_ms, close: base.open, high: base.open, low: base.open, volume: Decimal.ZERO, count: 0, vwap: null };
  }
  let high = traded[0]!.high;
  let low = traded[0]!.low;
  let volume = Decimal.ZERO;
  let count = 0;
  for (const c of traded) {
    if (c.high.gt(high)) high = c.high;
    if (c.low.lt(low)) low = c.low;
    volume = volume.add(c.volume);
    count += c.count;
  }
  return { symbol: base.symbol, interval_s, open_time_ms, open: traded[0]!.open, high, low, close: traded[traded.length - 1]!.close, volume, vwap: null, count };
}
