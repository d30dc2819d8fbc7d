/**
 * A backtest's CSV source: each symbol's file (paths relative to the book config) streamed
 * through the ingestion gate (src/ingest/gated-reader.ts: the same parsers, series check and gate
 * rules as `warden ingest`) in bounded batches. The first refused row stops the run (exit 65,
 * `file:line: [rule] value`); the run writes nothing before the end, so nothing is half-written.
 */
import { dirname, resolve } from 'node:path';
import type { Candle } from '../core/market/candle.js';
import { BacktestError, type SeriesReader } from './run.js';

/** The file data.source.paths names for a symbol, resolved against the book config's folder (exit 78 when there is none). */
export function sourcePath(paths: Readonly<Record<string, string>>, configFile: string, symbol: string): string {
  const rel = Object.hasOwn(paths, symbol) ? paths[symbol] : undefined;
  if (rel === undefined) throw new BacktestError(`config: data.source.paths has no file for ${symbol}`, 78);
  return resolve(dirname(resolve(configFile)), rel);
}

export function csvReader(paths: Readonly<Record<string, string>>, configFile: string, interval_s: number, from_ms: number | null, to_ms: number | null): SeriesReader {
  return (symbol) => batches(sourcePath(paths, configFile, symbol), symbol, interval_s, from_ms, to_ms);
}

async function* batches(file: string, symbol: string, interval_s: number, from_ms: number | null, to_ms: number | null): AsyncGenerator<readonly Candle[]> {
  const { readGatedCandles } = await import('../ingest/gated-reader.js');
  // the reader's default batch (1,000 candles: measured faster than larger batches, which outlive a scavenge)
  yield* readGatedCandles(file, { symbol, interval_s, from_ms, to_ms });
}
