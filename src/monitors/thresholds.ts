/**
 * The monitors' thresholds: one place with each default and its limits (README "Monitors"). They
 * are expressed in bars of the series (a 5-bar silence means the same on hourly and minute data),
 * except the drawdown margin, in percentage points of drawdown like the risk profile's tiers.
 * `warden monitors run` takes each as an option; the runtime uses the defaults.
 */
import { Decimal } from '../core/money/index.js';

export interface Thresholds {
  /** stale_data warns when a series' newest candle closed more than this many intervals ago (wall clock). */
  stale_after_intervals: number;
  /** ... and is critical past this many. */
  stale_critical_after_intervals: number;
  /** gap looks for missing candles among the last this-many intervals of each series. */
  gap_lookback_intervals: number;
  /** drawdown_near_tier: a book's drawdown within this many percentage points of its next tier. */
  drawdown_near_pct: Decimal;
  /** tick_lag: a book's last tick this many intervals (or more) behind its newest complete data. */
  tick_lag_intervals: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  stale_after_intervals: 3,
  stale_critical_after_intervals: 24,
  gap_lookback_intervals: 48,
  drawdown_near_pct: Decimal.parse('2'),
  tick_lag_intervals: 3,
};

/** Limits: [min, max] of each integer threshold; the drawdown margin is 0 < x <= DRAWDOWN_NEAR_PCT_MAX. */
export const THRESHOLD_LIMITS = {
  stale_after_intervals: [1, 10_000],
  stale_critical_after_intervals: [1, 100_000],
  gap_lookback_intervals: [2, 10_000],
  tick_lag_intervals: [1, 10_000],
} as const;
export const DRAWDOWN_NEAR_PCT_MAX = '100';

/** Series and books looked at in one pass (more is refused loudly, never silently cut). */
export const SERIES_MONITORED_MAX = 1000;
export const BOOKS_MONITORED_MAX = 1000;
export const FEEDS_MONITORED_MAX = 1000;

export class ThresholdError extends RangeError {
  readonly exitCode = 64;
}

/** Checks a set of thresholds (ThresholdError naming the field and its limits). */
export function checkThresholds(t: Thresholds): Thresholds {
  for (const [k, [lo, hi]] of Object.entries(THRESHOLD_LIMITS) as [keyof typeof THRESHOLD_LIMITS, readonly [number, number]][]) {
    const v = t[k];
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new ThresholdError(`monitor threshold ${k}: expected an integer ${lo}..${hi}, got ${v}`);
  }
  if (t.stale_critical_after_intervals < t.stale_after_intervals) {
    throw new ThresholdError(`monitor threshold stale_critical_after_intervals (${t.stale_critical_after_intervals}) must be >= stale_after_intervals (${t.stale_after_intervals})`);
  }
  if (!t.drawdown_near_pct.isPositive() || t.drawdown_near_pct.gt(Decimal.parse(DRAWDOWN_NEAR_PCT_MAX))) {
    throw new ThresholdError(`monitor threshold drawdown_near_pct: expected a decimal > 0 and <= ${DRAWDOWN_NEAR_PCT_MAX}, got ${t.drawdown_near_pct.toString()}`);
  }
  return t;
}
