/**
 * Fee schedules (maker/taker, percent per trade, by 30-day volume tier) and the fee of a fill.
 *
 * Governed default: Kraken's schedule as recorded in 2025-11 (nautilus_http_asset_pairs.json),
 * lowest tier: taker 0.40 %, maker 0.25 %. The 2020-10-27 payload (noobit AssetPairs) starts at
 * 0.26 / 0.16. We default to the newer and higher one because it is what a new account pays today
 * and because an optimistic fee flatters every backtest (capital preservation first). A book picks
 * a schedule, its 30-day volume (which selects the tier; default 0 = the lowest tier) and may
 * override maker_pct / taker_pct outright.
 */
import { Decimal } from '../money/decimal.js';

export interface FeeTierRow {
  readonly volume_from: Decimal;
  readonly maker_pct: Decimal;
  readonly taker_pct: Decimal;
}

export interface FeeSchedule {
  /** e.g. "kraken_2025@0": the schedule and the volume tier it was resolved at. */
  readonly id: string;
  readonly maker_pct: Decimal;
  readonly taker_pct: Decimal;
}

function table(rows: [string, string, string][]): FeeTierRow[] {
  return rows.map(([v, t, m]) => ({ volume_from: Decimal.parse(v), taker_pct: Decimal.parse(t), maker_pct: Decimal.parse(m) }));
}

/** [30-day volume from (USD), taker %, maker %], as in the recorded AssetPairs payloads. */
export const FEE_TABLES: Readonly<Record<string, readonly FeeTierRow[]>> = {
  kraken_2025: table([
    ['0', '0.40', '0.25'], ['10000', '0.35', '0.20'], ['50000', '0.24', '0.14'], ['100000', '0.22', '0.12'], ['250000', '0.20', '0.10'],
    ['500000', '0.18', '0.08'], ['1000000', '0.16', '0.06'], ['2500000', '0.14', '0.04'], ['5000000', '0.12', '0.02'], ['10000000', '0.10', '0'],
  ]),
  kraken_2020: table([
    ['0', '0.26', '0.16'], ['50000', '0.24', '0.14'], ['100000', '0.22', '0.12'], ['250000', '0.20', '0.10'], ['500000', '0.18', '0.08'],
    ['1000000', '0.16', '0.06'], ['2500000', '0.14', '0.04'], ['5000000', '0.12', '0.02'], ['10000000', '0.10', '0'],
  ]),
};
export const DEFAULT_FEE_SCHEDULE_ID = 'kraken_2025';

/** The tier of `schedule` that applies at a 30-day volume: the last whose threshold is <= volume. */
export function feeScheduleAt(schedule: string, volume30d: Decimal): FeeSchedule | null {
  const rows = Object.hasOwn(FEE_TABLES, schedule) ? FEE_TABLES[schedule] : undefined; // a user-given name: never an Object.prototype member
  if (rows === undefined) return null;
  let found: FeeTierRow | undefined;
  for (const r of rows) if (r.volume_from.lte(volume30d)) found = r;
  if (found === undefined) return null;
  return { id: `${schedule}@${found.volume_from.toString()}`, maker_pct: found.maker_pct, taker_pct: found.taker_pct };
}

export type Liquidity = 'maker' | 'taker';

const HUNDRED = Decimal.of(100);

/** fee = cost * pct / 100, rounded half-even to fee_decimals. */
export function feeFor(cost: Decimal, pct: Decimal, feeDecimals: number): Decimal {
  return cost.mul(pct).div(HUNDRED, feeDecimals, 'half_even');
}

/**
 * The most a buy at `price` can take with `cash`, in lots of `lot_decimals`: the largest q with
 * price x q + feeFor(price x q) <= cash, the fee rounded as it will be charged (half-even to
 * fee_decimals), so a fee that rounds down buys the lots it frees. That total is non-decreasing
 * in q, and the rounded fee is within half a fee unit of the exact one, so the answer lies
 * between the exact sizes at cash - half and cash + half (no fee rounding): a binary search over
 * the lots between them, ~log2 of their number (<= ~60 steps whatever the rounding), never a
 * walk one lot at a time (which took seconds per fill on a cheap pair with whole-unit fees).
 */
export function affordableQty(cash: Decimal, price: Decimal, pct: Decimal, lotDecimals: number, feeDecimals: number): Decimal {
  if (!cash.isPositive() || !price.isPositive()) return Decimal.ZERO;
  const perUnit = price.mul(HUNDRED.add(pct)); // x 100: the all-in cost of one unit, times 100 (exact)
  const half = Decimal.of(5n, feeDecimals + 1); // half a unit of the fee's last digit
  const fits = (q: Decimal): boolean => { const cost = price.mul(q); return cost.add(feeFor(cost, pct, feeDecimals)).lte(cash); };
  const lots = (x: Decimal): bigint => x.mul(HUNDRED).div(perUnit, lotDecimals, 'down').units; // how many lots x buys with the exact fee (units at scale lot_decimals)
  let lo = lots(cash.sub(half).max(Decimal.ZERO)); // fits (fee rounded up by at most half)
  let hi = lots(cash.add(half)) + 1n; // does not fit (fee rounded down by at most half)
  const q = (n: bigint): Decimal => Decimal.of(n, lotDecimals);
  if (lo > 0n && !fits(q(lo))) throw new RangeError(`affordableQty: ${q(lo).toString()} at ${price.toString()} does not fit ${cash.toString()}`); // the bound's argument broken: a bug
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (fits(q(mid))) lo = mid;
    else hi = mid;
  }
  return q(lo);
}
