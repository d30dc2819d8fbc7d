/**
 * Candle sources of a backtest, each a SeriesReader: candles of one series, oldest first, in
 * bounded batches, open time in [from, to). The store's accepted candles (what the runtime
 * trades), or a Kraken OHLCVT CSV file read through the ingestion gate (src/ingest), never
 * around it.
 */
import type { Candle } from '../core/market/candle.js';
import type { Db } from '../store/db.js';
import type { SeriesReader } from './run.js';

/** Candles read from the store per query. */
export const STORE_READ_BATCH = 5_000;

export function storeReader(db: Db, interval_s: number, from_ms: number | null, to_ms: number | null, batch = STORE_READ_BATCH): Promise<SeriesReader> {
  return (async () => {
    const { CandleStore, toKernelCandle } = await import('../store/candle-store.js');
    const store = new CandleStore(db);
    return (symbol: string) => {
      const it = store.iterateCandles(symbol, interval_s, from_ms ?? 0, to_ms ?? Number.MAX_SAFE_INTEGER, batch);
      return {
        async next(): Promise<IteratorResult<readonly Candle[]>> {
          const r = await it.next();
          return r.done === true ? { done: true, value: undefined } : { done: false, value: r.value.map(toKernelCandle) };
        },
      };
    };
  })();
}
