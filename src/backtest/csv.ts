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
  if (rel === undefined) throw new BacktestError(`config: data.source.paths has no file for ${symbol} (data.symbols lists it)`, 78);
  return resolve(dirname(resolve(configFile)), rel);
}

export function csvReader(paths: Readonly<Record<string, string>>, configFile: string, interval_s: number, from_ms: number | null, to_ms: number | null): SeriesReader {
  return (symbol) => batches(sourcePath(paths, configFile, symbol), symbol, interval_s, from_ms, to_ms);
}

async function* batches(file: string, symbol: string, interval_s: number, from_ms: number | null, to_ms: number | null): AsyncGenerator<readonly Candle[]> {
  const { readGatedCandles } = await import('../ingest/gated-reader.js');
  // the reader's default batch (1,000 candles: measured faster than larger batches, which outlive a scavenge)
  try {
    yield* readGatedCandles(file, { symbol, interval_s, from_ms, to_ms });
  } catch (e) {
    throw namedSource(e, symbol);
  }
}

/**
 * A file the config names that cannot be read as asked (missing, not a regular file, not a candle
 * file: IngestInputError): the message says which entry named it, `data.source.paths.BTC/USD: ...`
 * (the command adds which config). A row the gate refuses already names file:line.
 */
export function namedSource(e: unknown, symbol: string): unknown {
  if (e instanceof Error && e.name === 'IngestInputError' && !e.message.startsWith('data.source.paths.')) e.message = `data.source.paths.${symbol}: ${e.message}`;
  return e;
}
