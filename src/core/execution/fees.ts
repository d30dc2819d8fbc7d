/**
 * Fee schedules (maker/taker, percent per trade) and the fee of a fill.
 *
 * Governed default: Kraken's lowest tier as recorded in 2025-11 (taker 0.40 %, maker 0.25 %;
 * nautilus_http_asset_pairs.json). The 2020-10-27 payload says 0.26 / 0.16; we default to the
 * newer and higher one because it is what a new account pays today and because an optimistic fee
 * flatters every backtest (capital preservation first). Both are named schedules; any custom
 * maker/taker pair can be configured.
 */
import { Decimal } from '../money/decimal.js';

export interface FeeSchedule {
  readonly id: string;
  readonly maker_pct: Decimal;
  readonly taker_pct: Decimal;
}

export const FEE_SCHEDULES: Readonly<Record<string, FeeSchedule>> = {
  kraken_2025_tier0: { id: 'kraken_2025_tier0', maker_pct: Decimal.parse('0.25'), taker_pct: Decimal.parse('0.40') },
  kraken_2020_tier0: { id: 'kraken_2020_tier0', maker_pct: Decimal.parse('0.16'), taker_pct: Decimal.parse('0.26') },
};
export const DEFAULT_FEE_SCHEDULE_ID = 'kraken_2025_tier0';

export type Liquidity = 'maker' | 'taker';

const HUNDRED = Decimal.of(100);

/** fee = cost * pct / 100, rounded half-even to fee_decimals. */
export function feeFor(cost: Decimal, pct: Decimal, feeDecimals: number): Decimal {
  return cost.mul(pct).div(HUNDRED, feeDecimals, 'half_even');
}
