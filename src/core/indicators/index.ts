/**
 * Indicators for skills, as pure functions of a bounded window of closed bars.
 *
 * Why window functions and not stateful indicator objects: the kernel's state is fold(events)
 * and must be canonical and hashable; an indicator object's hidden buffers are neither. Every
 * value here depends only on the window it is given (a skill's declared warm-up), so a runtime
 * that starts with the last `warmup_bars` candles makes the same decisions as a backtest that ran
 * from the beginning. The maintained library `trading-signals` is the reference: every function
 * here is checked against it on every bar of real data (index.unit.test.ts; RSI and ATR bit for
 * bit). It is not called on the hot path because, re-fed a window each tick, it is ~10x slower
 * than these few lines (bench/kernel.ts prints both). Indicator math is float (deterministic on
 * one Node version); money never is. A skill that compares two of them decides a near tie on the
 * candles' decimals (sma-cross's smaSign): a float last bit must not make a trade.
 */
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
export function sma(values: ArrayLike<number>, period: number, end = values.length): number | null {
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

/**
 * Wilder smoothing exactly as trading-signals' WSMA computes it (same float operations in the
 * same order, so results are bit-identical; the unit test checks this on real data): the first
 * value is the mean of the first `period` inputs, then r = (x - r) * (1 / period) + r.
 */
class Wilder {
  private sum = 0;
  private count = 0;
  private readonly k: number;
  value: number | null = null;
  constructor(private readonly period: number) {
    this.k = 1 / period;
  }
  push(x: number): void {
    if (this.value !== null) {
      this.value = (x - this.value) * this.k + this.value;
      return;
    }
    this.sum += x;
    this.count += 1;
    if (this.count === this.period) this.value = this.sum / this.period;
  }
}

/** Wilder ATR over the whole window given. null until `period` bars. */
export function atr(bars: readonly Hlc[], period: number): number | null {
  checkPeriod(period, 'atr');
  if (bars.length < period) return null;
  const w = new Wilder(period);
  let prevClose: number | undefined;
  for (const b of bars) {
    const hl = b.high - b.low;
    w.push(prevClose === undefined ? hl : Math.max(hl, Math.abs(b.high - prevClose), Math.abs(b.low - prevClose)));
    prevClose = b.close;
  }
  return w.value;
}

/** Wilder RSI over the whole window given. null until period + 1 closes. */
export function rsi(closes: ArrayLike<number>, period: number): number | null {
  checkPeriod(period, 'rsi');
  if (closes.length <= period) return null;
  const gain = new Wilder(period);
  const loss = new Wilder(period);
  for (let i = 1; i < closes.length; i++) {
    const c = closes[i] as number;
    const p = closes[i - 1] as number;
    if (c > p) {
      loss.push(0);
      gain.push(c - p);
    } else {
      loss.push(p - c);
      gain.push(0);
    }
  }
  if (gain.value === null || loss.value === null) return null;
  if (loss.value === 0) return 100;
  return 100 - 100 / (gain.value / loss.value + 1);
}

/**
 * A float as canonical text for events: JavaScript's shortest round-trip form (deterministic by
 * the language spec). Non-finite values are refused: an indicator that produced one is a bug.
 */
export function numText(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`indicator value ${x} is not finite`);
  return Object.is(x, -0) ? '0' : String(x);
}
