/**
 * The skill (strategy) interface. A skill is pure: given a lookahead-safe context (the closed
 * bars of one symbol up to and including the current bar T, never T+1), its parameters, the
 * position and its own small memory, it returns signals and its next memory. It declares what it
 * needs (timeframes, warm-up bars, indicators) and what it can emit, so the engine can check a
 * book's config before running it. Signals carry provenance (skill@version, parameters and the
 * indicator values that caused them); the engine records them as `signal.emitted` events.
 */
import type { z } from '../zod.js';
import type { Decimal } from '../money/decimal.js';
import type { CanonicalValue } from '../canonical/index.js';
import type { OrderType } from '../execution/fills.js';

/** A closed bar as skills read it (floats, for indicators only). */
export interface SkillBar {
  readonly open_time_ms: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export type SignalAction = 'enter' | 'add' | 'reduce' | 'exit';

export interface SignalDraft {
  readonly action: SignalAction;
  /** For reduce: the share of the position to sell, a decimal string in (0, 1). */
  readonly fraction?: string;
  /** How to execute; default a market order. Prices are floats rounded by the engine to the pair's tick. */
  readonly order?: { readonly type: OrderType; readonly limit_price?: number; readonly stop_price?: number; readonly expire_bars?: number };
  /** Machine-readable reason, e.g. "sma_cross_up". */
  readonly reason: string;
  /** The indicator values that caused it (an `atr` entry feeds volatility sizing). */
  readonly indicators: Readonly<Record<string, number>>;
}

export type SkillMemory = { readonly [key: string]: CanonicalValue } | null;

export interface SkillContext<P> {
  readonly symbol: string;
  readonly params: P;
  /** Oldest first; the last is the bar that just closed (T). At most the declared warm-up. */
  readonly bars: readonly SkillBar[];
  /**
   * The same window's closes (closes[i] = bars[i].close), when the engine has them as a column: a
   * view, valid during evaluate only. Skills that read only closes use it and skip `bars`, which
   * the engine then never copies. Absent: read bars.
   */
  readonly closes?: ArrayLike<number>;
  /**
   * The same window's closes as the exact decimals of the candles (oldest first), made when called:
   * for a skill whose float indicators come out too close to call (a tie of two averages that are
   * equal in exact arithmetic but differ in the last bit of their floats), to decide it exactly.
   */
  exactCloses(): readonly Decimal[];
  /**
   * Everything held of the symbol, to the last lot: a skill is flat only at exactly 0. The remainder
   * of a close that filled partly is a position (the engine keeps re-placing its sell until flat,
   * and `pending_sell` is true meanwhile), never dust to be ignored.
   */
  readonly position_qty: Decimal;
  /** Quantity-weighted entry price of the open lots, or null when flat. */
  readonly avg_entry: Decimal | null;
  /** A buy / sell order of this symbol is working (placed at an earlier close or re-placed by the engine this tick). */
  readonly pending_buy: boolean;
  readonly pending_sell: boolean;
  readonly memory: SkillMemory;
}

export interface SkillDecision {
  readonly signals: readonly SignalDraft[];
  readonly memory: SkillMemory;
}

export interface Skill<P = unknown> {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly inputs: {
    /** Timeframes (seconds) it is designed for; null = any. */
    readonly timeframes_s: readonly number[] | null;
    readonly indicators: readonly string[];
  };
  readonly outputs: readonly SignalAction[];
  readonly params: z.ZodType<P>;
  /** Bars of history it needs before it may emit (also the length of its context window). */
  warmupBars(params: P): number;
  evaluate(ctx: SkillContext<P>): SkillDecision;
}

/** Reads a float stored in memory as text (numText). */
export function memNum(m: SkillMemory, key: string): number | null {
  const v = m?.[key];
  return typeof v === 'string' ? Number(v) : null;
}
