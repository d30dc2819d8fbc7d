/**
 * Test-only loader: Kraken OHLCVT CSV (no header; unix_ts_seconds,open,high,low,close,volume,trades;
 * ts = interval START) -> Candle[]. Kept tiny on purpose until the ingestion module's parser is
 * used instead; it validates only what the tests rely on.
 */
import { EXTERNAL_DATA_DIR } from './market-data.js';
import { readFileSync } from 'node:fs';
import { Decimal } from '../../src/core/money/decimal.js';
import type { Candle } from '../../src/core/market/candle.js';

export const DATA_DIR = EXTERNAL_DATA_DIR;
export const BTC_HOURLY = `${DATA_DIR}/kraken_ohlcvt_hourly_full/XBTUSD_60.csv`;
export const ETH_HOURLY = `${DATA_DIR}/kraken_ohlcvt_hourly_full/ETHUSD_60.csv`;
export const BTC_2023Q1_HOURLY = `${DATA_DIR}/kraken_ohlcvt_2023q1/XBTUSD_60.csv`;

/** Exact decimal from Kraken's text, which sometimes uses exponents ("1E+1", "5E-8"). */
export function decimalText(t: string): Decimal {
  const m = /^(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(t);
  if (m === null) return Decimal.parse(t);
  const digits = (m[1] as string) + (m[2] ?? '');
  const point = (m[1] as string).length + Number(m[3]);
  if (point <= 0) return Decimal.parse(`0.${'0'.repeat(-point)}${digits}`);
  if (point >= digits.length) return Decimal.parse(BigInt(digits + '0'.repeat(point - digits.length)).toString());
  return Decimal.parse(`${BigInt(digits.slice(0, point)).toString()}.${digits.slice(point)}`);
}

export function loadKrakenCsv(path: string, symbol: string, intervalS: number, opts: { fromMs?: number; toMs?: number; dropLast?: boolean } = {}): Candle[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Candle[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const f = line.trim().split(',');
    if (f.length !== 7) throw new Error(`${path}:${i + 1}: expected 7 fields`);
    const t = Number(f[0]) * 1000;
    if (opts.fromMs !== undefined && t < opts.fromMs) continue;
    if (opts.toMs !== undefined && t >= opts.toMs) continue;
    out.push({
      symbol, interval_s: intervalS, open_time_ms: t,
      open: decimalText(f[1] as string), high: decimalText(f[2] as string), low: decimalText(f[3] as string),
      close: decimalText(f[4] as string), volume: decimalText(f[5] as string), vwap: null, count: Number(f[6]),
    });
  }
  // The last row of the full hourly file is a partial candle (data/external/README.md).
  if (opts.dropLast) out.pop();
  return out;
}
