/**
 * Which series (symbol, interval) a source file holds: one rule for `warden ingest` and the
 * backtest's streaming CSV reader (gated-reader.ts). Kept apart from ingest.ts so the reader
 * does not load the store.
 */
import { basename } from 'node:path';
import { canonicalSymbol, parseOhlcvtFileName, SymbolError } from '../core/market/symbols.js';
import { IngestInputError } from './errors.js';
import type { IngestFormat } from './source.js';

/**
 * Limits of a candle interval: whole minutes, from 1 minute to Kraken's largest OHLC interval
 * (21600 minutes = 15 days). Anything else never reaches the store (an integer column).
 */
export const INTERVAL_S_MIN = 60;
export const INTERVAL_S_MAX = 1_296_000;

/** Why `interval_s` cannot be a candle interval, or null when it can. */
export function intervalProblem(interval_s: number): string | null {
  if (!Number.isSafeInteger(interval_s)) return `${interval_s} is not a whole number of seconds`;
  if (interval_s < INTERVAL_S_MIN || interval_s > INTERVAL_S_MAX) return `${interval_s}s is outside ${INTERVAL_S_MIN}s..${INTERVAL_S_MAX}s (1 minute to 15 days)`;
  if (interval_s % 60 !== 0) return `${interval_s}s is not a whole number of minutes`;
  return null;
}

/**
 * Steps between consecutive candles looked at before a file's spacing is judged: real Kraken
 * 1-minute files have runs of up to ~32 steps that are all gaps (no trade that minute).
 */
export const SPACING_STEPS_MIN = 64;

/**
 * Whether a candle file holds candles of the interval it is read as: alignment alone lets an
 * hourly file pass as 1-minute candles (every open time is a whole minute), each step a "gap".
 * When the first SPACING_STEPS_MIN steps between consecutive candles are ALL longer than one
 * interval, the file is not at that interval: `observe` says so at the candle that decides it
 * (once), so the refusal names that row. Fed the open times of candles that passed the gate.
 */
export class SpacingCheck {
  private prev: number | null = null;
  private steps = 0;
  private exact = false;
  private smallest = Number.POSITIVE_INFINITY;

  constructor(private readonly interval_s: number) {}

  /** Null, or (once, at the deciding candle) why the file is not at the interval. */
  observe(open_time_ms: number): string | null {
    const prev = this.prev;
    this.prev = open_time_ms;
    if (prev === null || this.exact || this.steps >= SPACING_STEPS_MIN) return null;
    const step = (open_time_ms - prev) / 1000;
    this.steps++;
    if (step === this.interval_s) this.exact = true;
    if (step < this.smallest) this.smallest = step;
    if (this.exact || this.steps < SPACING_STEPS_MIN) return null;
    return `none of the first ${this.steps} steps between consecutive candles is ${this.interval_s}s (the smallest is ${this.smallest}s): ` +
      `the file does not hold ${this.interval_s}s candles`;
  }
}

export interface Series {
  symbol: string;
  interval_s: number;
}

/**
 * The series a source holds: from --symbol / --interval, else from the file name (Kraken's
 * PAIR_MINUTES.csv, a trades file PAIR.csv, a generic file's ..._1h_...) or the payload's pair.
 * Given AND named, they must agree: `--symbol ETH/USD XBTUSD_60.csv` is refused (64), never
 * stored as ETH/USD. Shared by `warden ingest` and the backtest's CSV reader (gated-reader.ts).
 */
export function resolveSeries(file: string, format: IngestFormat, opts: { symbol?: string; interval_s?: number }, payloadPair?: string): Series {
  const name = basename(file);
  const sym = (s: string, what: string) => {
    try {
      return canonicalSymbol(s);
    } catch (e) {
      throw new IngestInputError(`${what}: ${(e as SymbolError).message}`, 64);
    }
  };
  const given = opts.symbol ? sym(opts.symbol, '--symbol') : null;
  let fromSource: Series | null = null;
  if (format === 'kraken-ohlcvt') fromSource = parseOhlcvtFileName(name);
  else if (payloadPair) fromSource = { symbol: sym(payloadPair, `${name} result key`), interval_s: 0 };
  else if (format === 'ohlcv-csv') {
    const m = /^([A-Za-z0-9]{5,12})_(\d{1,4})([mhd])_/.exec(name);
    if (m) {
      try {
        // Interval only: a generic file names no venue (the sample is Binance.US, not Kraken), so
        // the symbol must be given explicitly rather than merged into a Kraken series by accident.
        fromSource = { symbol: '', interval_s: Number(m[2]) * { m: 60, h: 3600, d: 86400 }[m[3] as 'm' | 'h' | 'd'] };
      } catch { /* no interval in the name: --interval is needed */ }
    }
  } else if (format === 'kraken-trades') {
    const m = /^([A-Za-z0-9]{5,12})\.csv$/.exec(name);
    if (m) fromSource = { symbol: sym(m[1]!, name), interval_s: 60 };
  }
  if (given && fromSource && payloadPair && given !== fromSource.symbol) {
    throw new IngestInputError(`--symbol ${given} does not match the payload's pair ${payloadPair} (${fromSource.symbol})`, 64);
  }
  if (given && fromSource?.symbol && given !== fromSource.symbol) {
    throw new IngestInputError(`--symbol ${given} does not match the file name ${name} (${fromSource.symbol})`, 64);
  }
  const isCandleFile = format === 'kraken-ohlcvt' || format === 'ohlcv-csv';
  if (isCandleFile && opts.interval_s !== undefined && fromSource?.interval_s && opts.interval_s !== fromSource.interval_s) {
    throw new IngestInputError(`--interval ${opts.interval_s}s does not match the file name ${name} (${fromSource.interval_s}s)`, 64);
  }
  const symbol = given ?? (fromSource?.symbol || undefined);
  if (!symbol) throw new IngestInputError(`${name}: cannot tell the symbol from the file name; pass --symbol (e.g. BTC/USD)`, 64);
  let interval_s = opts.interval_s ?? (fromSource?.interval_s || 0);
  if (format === 'kraken-trades' || format === 'kraken-rest-trades') {
    if (opts.interval_s !== undefined && opts.interval_s !== 60) throw new IngestInputError('trades are aggregated to 1-minute candles: --interval must be 1m (resample afterwards)', 64);
    interval_s = 60;
  }
  if (!interval_s) throw new IngestInputError(`${name}: cannot tell the interval from the file name; pass --interval (e.g. 1h)`, 64);
  const bad = intervalProblem(interval_s);
  if (bad !== null) throw new IngestInputError(`${name}: interval ${bad}`, opts.interval_s === interval_s ? 64 : 65);
  return { symbol, interval_s };
}
