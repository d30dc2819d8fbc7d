/**
 * A backtest's CSV source: each symbol's Kraken OHLCVT file (paths relative to the book config),
 * read as a stream in bounded batches. TODO(F9): through the ingestion gate's streaming reader.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import type { Candle } from '../core/market/candle.js';
import { BacktestError, type SeriesReader } from './run.js';

export const CSV_BATCH_ROWS = 10_000;

export function csvReader(paths: Readonly<Record<string, string>>, configFile: string, interval_s: number, from_ms: number | null, to_ms: number | null): SeriesReader {
  const base = dirname(resolve(configFile));
  return (symbol) => {
    const rel = Object.hasOwn(paths, symbol) ? paths[symbol] : undefined;
    if (rel === undefined) throw new BacktestError(`config: data.source.paths has no file for ${symbol}`, 78);
    return batches(resolve(base, rel), symbol, interval_s, from_ms, to_ms);
  };
}

async function* batches(file: string, symbol: string, interval_s: number, from_ms: number | null, to_ms: number | null): AsyncGenerator<readonly Candle[]> {
  const { parseKrakenOhlcvtLine } = await import('../ingest/parsers.js');
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw new BacktestError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let batch: Candle[] = [];
  let n = 0;
  for await (const raw of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    const line = raw.trim();
    if (line === '') continue;
    const p = parseKrakenOhlcvtLine(line, `${file}:${n}`, symbol, interval_s);
    if (!p.ok) throw new BacktestError(`${p.violation.where}: ${p.violation.message}`);
    const c = p.value;
    if (from_ms !== null && c.open_time_ms < from_ms) continue;
    if (to_ms !== null && c.open_time_ms >= to_ms) break;
    batch.push({ ...c, count: c.count ?? (c.volume.isPositive() ? 1 : 0) });
    if (batch.length >= CSV_BATCH_ROWS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
