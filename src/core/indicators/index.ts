/**
 * Indicators for skills, as pure functions of a bounded window of closed bars.
 *
 * Why window functions and not stateful indicator objects: the kernel's state is fold(events)
 * and must be canonical and hashable; an indicator object's hidden buffers are neither. Every
 * value here depends only on the window it is given (a skill's declared warm-up), so a runtime
 * that starts with the last `warmup_bars` candles makes the same decisions as a backtest that ran
 * from the beginning. Wilder-smoothed RSI and ATR come from `trading-signals` (a maintained
 * library; a fresh instance per call, fed the window oldest first); SMA and Donchian are plain
 * sums/extremes, checked against the library in index.unit.test.ts. bench/kernel-indicators.ts
 * measures both. Indicator math is float (deterministic on one Node version); money never is.
 */
import { ATR, RSI } from 'trading-signals';

export interface Hlc {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** Limit: no indicator period above this (a window is at most a few thousand bars). */
export const INDICATOR_PERIOD_MAX = 5_000;

function checkPeriod(period: number, what: string): void {
  if (!Number.isInteger(period) || period < 1 || period > INDICATOR_PERIOD_MAX) {
    throw new RangeError(`${what}: period must be an integer in 1..${INDICATOR_PERIOD_MAX}, got ${period}`);
  }
}

/** Simple moving average of the last `period` values ending at index `end` (exclusive); null if too few. */
export function sma(values: readonly number[], period: number, end = values.length): number | null {
  checkPeriod(period, 'sma');
  if (end < period) return null;
  let sum = 0;
  for (let i = end - period; i < end; i++) sum += values[i] as number;
  return sum / period;
}

/** Highest high and lowest low of the `period` bars ending at `end` (exclusive); null if too few. */
export function donchian(bars: readonly Hlc[], period: number, end = bars.length): { upper: number; lower: number } | null {
  checkPeriod(period, 'donchian');
  if (end < period) return null;
  let upper = -Infinity;
  let lower = Infinity;
  for (let i = end - period; i < end; i++) {
    const b = bars[i] as Hlc;
    if (b.high > upper) upper = b.high;
    if (b.low < lower) lower = b.low;
  }
  return { upper, lower };
}

/** Wilder ATR over the whole window given (trading-signals). null until period bars. */
export function atr(bars: readonly Hlc[], period: number): number | null {
  checkPeriod(period, 'atr');
  if (bars.length < period) return null;
  const ind = new ATR(period);
  let out: number | null = null;
  for (const b of bars) out = ind.update({ high: b.high, low: b.low, close: b.close }, false);
  return out;
}

/** Wilder RSI over the whole window given (trading-signals). null until period + 1 closes. */
export function rsi(closes: readonly number[], period: number): number | null {
  checkPeriod(period, 'rsi');
  if (closes.length <= period) return null;
  const ind = new RSI(period);
  let out: number | null = null;
  for (const c of closes) out = ind.update(c, false);
  return out;
}

/**
 * A float as canonical text for events: JavaScript's shortest round-trip form (deterministic by
 * the language spec). Non-finite values are refused: an indicator that produced one is a bug.
 */
export function numText(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`indicator value ${x} is not finite`);
  return Object.is(x, -0) ? '0' : String(x);
}
