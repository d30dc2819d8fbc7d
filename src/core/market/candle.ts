/**
 * The canonical candle (bar): the unit of market truth the kernel consumes.
 *
 * open_time_ms is the START of the interval (UTC, ms), as in Kraken's files and REST; the bar
 * is final at close_time_ms = open_time_ms + interval_s * 1000, which is the event time of
 * anything decided on it. count = 0 marks a no-trade interval (Kraken REST carries a flat
 * candle for it; its CSV omits the row): a no-trade interval is not missing data.
 * Prices and volumes are exact decimals; indicators may read them as floats (toNumber()).
 */
import type { Decimal } from '../money/decimal.js';

export interface Candle {
  /** Canonical symbol, BASE/QUOTE with Warden's asset names, e.g. "BTC/USD". */
  readonly symbol: string;
  /** Interval length in seconds: 60, 300, 900, 3600, 14400, 86400... */
  readonly interval_s: number;
  readonly open_time_ms: number;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  /** Base-currency volume. */
  readonly volume: Decimal;
  /** Volume-weighted average price, when the source gives it (Kraken REST, aggregation). */
  readonly vwap: Decimal | null;
  /** Number of trades; 0 = no-trade interval. */
  readonly count: number;
}

export function closeTimeMs(c: Pick<Candle, 'open_time_ms' | 'interval_s'>): number {
  return c.open_time_ms + c.interval_s * 1000;
}

/**
 * A candle as ingested and stored: the same as Candle except that `count` is null when the
 * source has no trade count (a generic OHLCV CSV such as Binance.US's). Unknown is kept
 * unknown rather than invented; candles from Kraken always have a count.
 */
export type MarketCandle = Omit<Candle, 'count'> & { readonly count: number | null };
