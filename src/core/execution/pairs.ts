/**
 * The pair facts the execution, sizing and risk kernels need, with governed defaults for the
 * pairs Warden trades first. Values are from Kraken's recorded AssetPairs payload of 2020-10-27
 * (data/external/kraken-payloads/noobit_rest_AssetPairs_2020-10-27.json): XXBTZUSD pair_decimals 1,
 * lot_decimals 8, ordermin 0.001; XETHZUSD pair_decimals 2, lot_decimals 8, ordermin 0.02; no
 * costmin in that payload. fee_decimals is the precision fees are rounded to (half-even): 5, the
 * cost_decimals of the only recording that has one (2025, XBTUSDT). Structurally a subset of
 * core/market's PairMeta, so metadata parsed from a payload can be passed in directly.
 */
import { Decimal } from '../money/decimal.js';

export interface PairSpec {
  readonly symbol: string;
  /** Price precision (Kraken pair_decimals): fill prices are rounded to it, adversely. */
  readonly pair_decimals: number;
  /** Quantity precision: quantities round DOWN to it. */
  readonly lot_decimals: number;
  /** Minimum order quantity (base), or null. */
  readonly ordermin: Decimal | null;
  /** Minimum order cost (quote), or null. */
  readonly costmin: Decimal | null;
  /** Fee precision (quote): fees round half-even to it. */
  readonly fee_decimals: number;
}

export const DEFAULT_PAIRS: Readonly<Record<string, PairSpec>> = {
  'BTC/USD': { symbol: 'BTC/USD', pair_decimals: 1, lot_decimals: 8, ordermin: Decimal.parse('0.001'), costmin: null, fee_decimals: 5 },
  'ETH/USD': { symbol: 'ETH/USD', pair_decimals: 2, lot_decimals: 8, ordermin: Decimal.parse('0.02'), costmin: null, fee_decimals: 5 },
};

/** Why an order of `qty` at `price` may not be sent, or null if it meets the pair's minimums. */
export function belowMinimum(pair: PairSpec, qty: Decimal, price: Decimal): 'below_min_qty' | 'below_min_cost' | null {
  if (!qty.isPositive()) return 'below_min_qty';
  if (pair.ordermin !== null && qty.lt(pair.ordermin)) return 'below_min_qty';
  if (pair.costmin !== null && qty.mul(price).lt(pair.costmin)) return 'below_min_cost';
  return null;
}
