/**
 * The ingestion gate's rules, pure and streaming: one candle at a time against the previous one
 * of the same series, so a file of any length is checked in bounded memory. The ingest layer
 * feeds it rows in file order and turns any violation into a rejected (or quarantined) batch:
 * nothing of the batch is written. Rules, in the order they are checked:
 *   alignment   open time is a multiple of the interval
 *   order       open times strictly increase within the batch (equal time = duplicate row)
 *   high_low    high >= max(open, close), low <= min(open, close), low > 0
 *   volume      volume >= 0;  count: integer >= 0
 *   no_trade    count 0 must be flat with zero volume (Kraken's no-trade candle), and
 *               volume 0 must have count 0
 *   gap         missing intervals (reported with their length; rejected only by policy)
 *   drift       a jump between CONSECUTIVE candles (no gap) by more than a factor
 *               (open vs previous close, either direction) quarantines the batch for review
 * Schema, NaN and Inf are caught before this, when text becomes a Candle (ingest parsers).
 * One implementation for every consumer: `warden ingest` (src/ingest/ingest.ts, a batch into the
 * store) and the streaming CSV reader of `warden backtest` (src/ingest/gated-reader.ts) both feed
 * rows through CandleGate (isRepeat, then check).
 */
import { Decimal } from '../money/decimal.js';
import type { MarketCandle } from './candle.js';

export type GateRule =
  | 'schema' | 'finite' | 'alignment' | 'order' | 'duplicate_conflict' | 'high_low' | 'volume' | 'count'
  | 'no_trade' | 'gap' | 'drift' | 'symbol';

export interface Violation {
  readonly rule: GateRule;
  /** Where: "file.csv:12" or "payload.json result.XBTUSDT[3]". */
  readonly where: string;
  readonly message: string;
}

export interface Gap {
  /** Open time of the first missing interval. */
  readonly from_ms: number;
  /** Number of missing intervals. */
  readonly intervals: number;
}

export interface GatePolicy {
  /** 'report': gaps are listed, the batch passes; 'reject': any gap longer than gap_intervals_max rejects it. */
  readonly gap: 'report' | 'reject';
  readonly gap_intervals_max: number;
  /** Quarantine when consecutive candles jump by more than this factor (3 = x3 or /3). null = off. */
  readonly drift_factor_max: Decimal | null;
}

/**
 * Default policy. Kraken's CSV omits no-trade intervals, so gaps are normal there: reported,
 * not rejected. The drift factor 3 is above every real jump in the bundled files (the largest
 * between consecutive hourly candles is ETH/USD 2017-05-07 15:00, x2.5) and catches a decimal
 * shift (x10, /10).
 */
export const DEFAULT_GATE_POLICY: GatePolicy = { gap: 'report', gap_intervals_max: 0, drift_factor_max: Decimal.of(3) };

/** Limits: gaps kept in detail per batch (the rest are counted). */
export const GAPS_LISTED_MAX = 50;

export interface GateSummary {
  readonly rows: number;
  readonly first_open_ms: number | null;
  readonly last_open_ms: number | null;
  readonly gaps: readonly Gap[];
  readonly gap_count: number;
  readonly gap_intervals_total: number;
  readonly gap_intervals_max: number;
}

/**
 * A candle row as exact numbers, for the fast path (CandleGate.passPlain) of a parser that has
 * them already (ingest/parsers.ts scanPlainKrakenOhlcvt fills one Float64Array row after row, no
 * object per row): the time in seconds, then units and scale of open, high, low, close and volume
 * (value = units / 10^scale with units an integer in [0, 10^15) and scale in 0..14, what a plain
 * decimal of at most 15 digits gives), then the trade count.
 */
export const PLAIN_TIME = 0;
export const PLAIN_OPEN = 1;
export const PLAIN_HIGH = 3;
export const PLAIN_LOW = 5;
export const PLAIN_CLOSE = 7;
export const PLAIN_VOLUME = 9;
export const PLAIN_COUNT = 11;
export const PLAIN_ROW_LENGTH = 12;

const POW10_FLOAT: readonly number[] = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The exact sign of a - b (negative, 0, positive) for a = aU / 10^aS and b = bU / 10^bS, units
 * integers in [0, 2^53), scales in 0..15 (a PLAIN_* row's), without bigints. Same scale: aU - bU
 * is exact. Otherwise the side with the smaller scale is multiplied up, one rounding: with X the
 * exact product and Y < 2^53 the other side (an exact double), fl(X) orders like X against Y, ties
 * included (X < Y or X = Y: X < 2^53 is a double, fl(X) = X; X > Y: fl(X) >= fl(Y) = Y as rounding
 * is monotone, and fl(X) = Y < 2^53 would need X < 2^53, i.e. X = fl(X) = Y), and the sign of a
 * rounded difference is the sign of the difference.
 */
function cmpPlain(aU: number, aS: number, bU: number, bS: number): number {
  if (aS === bS) return aU - bU;
  return aS < bS ? aU * POW10_FLOAT[bS - aS]! - bU : aU - bU * POW10_FLOAT[aS - bS]!;
}

/**
 * Relative margin of the fast drift test: its floats (each value one correctly rounded division,
 * the product one rounding more, the margin itself one) are within 6 * 2^-53 of the exact values,
 * far inside 1e-12, so a test passed with the margin holds exactly.
 */
const DRIFT_MARGIN = 1 - 1e-12;

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);

function add(v: Violation[] | null, rule: GateRule, where: string, message: string): Violation[] {
  const out = v ?? [];
  out.push({ rule, where, message });
  return out;
}

const fmt = (c: MarketCandle) => `o=${c.open} h=${c.high} l=${c.low} c=${c.close} v=${c.volume} n=${c.count ?? '?'}`;

/** Checks one series' candles in order. Create one per batch and series; feed rows in order. */
export class CandleGate {
  private prev: MarketCandle | null = null;
  private first: number | null = null;
  private rows = 0;
  private gapsListed: Gap[] = [];
  private gapCount = 0;
  private gapTotal = 0;
  private gapMax = 0;
  /** prev.close as the nearest double (its toNumber()), for passPlain's drift test; NaN = not known yet. */
  private prevCloseF = Number.NaN;
  /** The policy's drift factor as the nearest double, for passPlain. */
  private readonly driftF: number;

  constructor(
    readonly symbol: string,
    readonly interval_s: number,
    readonly policy: GatePolicy = DEFAULT_GATE_POLICY,
    /** Last stored candle of the series before this batch, for continuity across batches. */
    previous: MarketCandle | null = null,
  ) {
    if (!Number.isSafeInteger(interval_s) || interval_s <= 0) throw new RangeError(`interval_s must be a positive integer, got ${interval_s}`);
    this.prev = previous;
    this.driftF = policy.drift_factor_max ? policy.drift_factor_max.toNumber() : Number.NaN;
  }

  /**
   * `c` repeats the candle that passed last in this batch, to the value: the same row twice in a
   * source is a no-op (like re-ingesting it), not a duplicate-timestamp violation. Callers skip
   * such a row before check(); the same timestamp with other values is check()'s `order` rule.
   */
  isRepeat(c: MarketCandle): boolean {
    const prev = this.prev;
    return this.rows > 0 && prev !== null && prev.open_time_ms === c.open_time_ms && sameCandle(prev, c);
  }

  /**
   * Violations of `c` (empty = it passes). Updates the series state only when it passes.
   * Allocates nothing for a candle that passes (the common case, millions of rows per file):
   * the returned empty array is shared and frozen.
   */
  check(c: MarketCandle, where: string): readonly Violation[] {
    let v: Violation[] | null = null;
    const step = this.interval_s * 1000;
    if (c.symbol !== this.symbol || c.interval_s !== this.interval_s) {
      v = add(v, 'symbol', where, `candle is ${c.symbol} ${c.interval_s}s, the batch is ${this.symbol} ${this.interval_s}s`);
    }
    if (!Number.isSafeInteger(c.open_time_ms) || c.open_time_ms < 0 || c.open_time_ms % step !== 0) {
      v = add(v, 'alignment', where, `open time ${c.open_time_ms / 1000}s is not a multiple of the interval ${this.interval_s}s`);
    }
    const prev = this.prev;
    if (prev && this.rows > 0 && c.open_time_ms <= prev.open_time_ms) {
      v = add(v, 'order', where, c.open_time_ms === prev.open_time_ms
        ? `timestamp ${c.open_time_ms / 1000} appears twice in the batch (a duplicate row)`
        : `timestamp ${c.open_time_ms / 1000} is not after the previous row's ${prev.open_time_ms / 1000} (rows out of order)`);
    }
    if (c.high.lt(c.open.max(c.close))) v = add(v, 'high_low', where, `high ${c.high} is below max(open ${c.open}, close ${c.close})`);
    if (c.low.gt(c.open.min(c.close))) v = add(v, 'high_low', where, `low ${c.low} is above min(open ${c.open}, close ${c.close})`);
    if (c.high.lt(c.low)) v = add(v, 'high_low', where, `high ${c.high} is below low ${c.low}`);
    if (!c.low.isPositive()) v = add(v, 'high_low', where, `low ${c.low} is not a positive price`);
    if (c.volume.isNegative()) v = add(v, 'volume', where, `volume ${c.volume} is negative`);
    if (c.count !== null && (!Number.isSafeInteger(c.count) || c.count < 0)) v = add(v, 'count', where, `trade count ${c.count} is not an integer >= 0`);
    if (c.count === null && c.volume.isZero() && !(c.open.eq(c.close) && c.high.eq(c.low) && c.open.eq(c.high))) {
      v = add(v, 'no_trade', where, `volume 0 but the candle is not flat: ${fmt(c)}`);
    }
    if (c.count === 0 && (!c.volume.isZero() || !c.open.eq(c.close) || !c.high.eq(c.low) || !c.open.eq(c.high))) {
      v = add(v, 'no_trade', where, `count 0 (no trades) but the candle is not flat with zero volume: ${fmt(c)}`);
    }
    if (c.count !== null && c.count > 0 && c.volume.isZero()) v = add(v, 'no_trade', where, `count ${c.count} trades but volume 0`);
    // Continuity and drift are judged against the previous good candle (of this batch or the store).
    if (v === null && prev && c.open_time_ms > prev.open_time_ms) {
      const missing = (c.open_time_ms - prev.open_time_ms) / step - 1;
      if (missing > 0) {
        this.gapCount++;
        this.gapTotal += missing;
        this.gapMax = Math.max(this.gapMax, missing);
        if (this.gapsListed.length < GAPS_LISTED_MAX) this.gapsListed.push({ from_ms: prev.open_time_ms + step, intervals: missing });
        if (this.policy.gap === 'reject' && missing > this.policy.gap_intervals_max) {
          v = add(v, 'gap', where, `${missing} missing interval(s) before this row (after ${prev.open_time_ms / 1000}); policy allows ${this.policy.gap_intervals_max}`);
        }
      } else if (this.policy.drift_factor_max && prev.close.isPositive() && c.open.isPositive()) {
        const f = this.policy.drift_factor_max;
        if (c.open.gt(prev.close.mul(f)) || prev.close.gt(c.open.mul(f))) {
          v = add(v, 'drift', where, `open ${c.open} jumps from the previous close ${prev.close} by more than a factor ${f} (quarantined for manual review)`);
        }
      }
    }
    if (v === null) {
      this.prev = c;
      this.prevCloseF = Number.NaN;
      this.first ??= c.open_time_ms;
      this.rows++;
      return NO_VIOLATIONS;
    }
    return v;
  }

  /**
   * check() without bigint arithmetic, for a candle `c` whose decimals are also known as the exact
   * numbers of `row` (the PLAIN_* layout; c was made from it): true when c certainly passes every
   * rule, with the state updated exactly as check() updates it for c (and c is not a repeat);
   * false when it may not pass, is a repeat, has count 0 (the no-trade rules) or is not known well
   * enough here: then nothing has changed and the caller goes through isRepeat() and check(), which
   * decide exactly and word the violation. So a row's verdict is check()'s whichever way it goes.
   * The comparisons are exact (cmpPlain); the drift test is in floats with a margin rounding
   * cannot cross, and anything within the margin goes to check().
   */
  passPlain(c: MarketCandle, row: Float64Array): boolean {
    const t = c.open_time_ms;
    const step = this.interval_s * 1000;
    const count = c.count;
    if (c.symbol !== this.symbol || c.interval_s !== this.interval_s || count === null || !(count > 0) || !Number.isSafeInteger(count)) return false;
    if (!Number.isSafeInteger(t) || t < 0 || t % step !== 0) return false;
    const prev = this.prev;
    if (prev !== null && this.rows > 0 && t <= prev.open_time_ms) return false; // order (or a repeat)
    const oU = row[PLAIN_OPEN]!, oS = row[PLAIN_OPEN + 1]!;
    const hU = row[PLAIN_HIGH]!, hS = row[PLAIN_HIGH + 1]!;
    const lU = row[PLAIN_LOW]!, lS = row[PLAIN_LOW + 1]!;
    const cU = row[PLAIN_CLOSE]!, cS = row[PLAIN_CLOSE + 1]!;
    // high >= max(open, close), low <= min(open, close), high >= low, low > 0; volume > 0 (count > 0)
    if (cmpPlain(hU, hS, oU, oS) < 0 || cmpPlain(hU, hS, cU, cS) < 0 || cmpPlain(lU, lS, oU, oS) > 0 || cmpPlain(lU, lS, cU, cS) > 0) return false;
    if (cmpPlain(hU, hS, lU, lS) < 0 || !(lU > 0) || !(row[PLAIN_VOLUME]! > 0)) return false;
    const closeF = cU / POW10_FLOAT[cS]!;
    if (prev !== null && t > prev.open_time_ms) {
      const missing = (t - prev.open_time_ms) / step - 1;
      if (missing > 0) {
        if (this.policy.gap === 'reject' && missing > this.policy.gap_intervals_max) return false;
        this.gapCount++;
        this.gapTotal += missing;
        this.gapMax = Math.max(this.gapMax, missing);
        if (this.gapsListed.length < GAPS_LISTED_MAX) this.gapsListed.push({ from_ms: prev.open_time_ms + step, intervals: missing });
      } else if (this.policy.drift_factor_max && oU > 0) {
        let prevF = this.prevCloseF;
        if (prevF !== prevF) prevF = prev.close.toNumber(); // NaN: prev passed through check()
        if (prevF > 0) {
          // open <= prev.close * f and prev.close <= open * f, with room to spare (else check() decides)
          const f = this.driftF;
          const openF = oU / POW10_FLOAT[oS]!;
          if (!(openF <= prevF * f * DRIFT_MARGIN && prevF <= openF * f * DRIFT_MARGIN)) return false;
        }
      }
    }
    this.prev = c;
    this.prevCloseF = closeF;
    this.first ??= t;
    this.rows++;
    return true;
  }

  summary(): GateSummary {
    return {
      rows: this.rows, first_open_ms: this.first, last_open_ms: this.rows > 0 ? this.prev!.open_time_ms : null,
      gaps: this.gapsListed, gap_count: this.gapCount, gap_intervals_total: this.gapTotal, gap_intervals_max: this.gapMax,
    };
  }
}

/** Two candles for the same (symbol, interval, open time) carry the same values. */
export function sameCandle(a: MarketCandle, b: MarketCandle): boolean {
  // vwap is compared only when both sides have one: Kraken's CSV has none, its REST does.
  const eqN = (x: Decimal | null, y: Decimal | null) => x === null || y === null || x.eq(y);
  return a.open.eq(b.open) && a.high.eq(b.high) && a.low.eq(b.low) && a.close.eq(b.close) &&
    a.volume.eq(b.volume) && a.count === b.count && eqN(a.vwap, b.vwap);
}

export function describeCandle(c: MarketCandle): string {
  return `${fmt(c)}${c.vwap ? ` vwap=${c.vwap}` : ''}`;
}
