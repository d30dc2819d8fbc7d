/**
 * Paper fills against the NEXT bar (no lookahead): an order decided at the close of bar T is
 * only ever matched against bar T+1 or later. Rules (ARCHITECTURE.md section 1, issue F4):
 * - market: fills at the bar's open, moved against us by slippage_bps plus, optionally,
 *   impact_bps_per_volume_pct for each percent of the bar's volume the fill takes;
 * - limit: fills if the bar reaches the limit (a buy's low at or below it, a sell's high at or
 *   above it: a touch is enough, as in the common backtesters): at the limit (maker), or at the
 *   open when the bar opens at or through it (taker: it was marketable on arrival);
 * - stop: triggers when the bar touches the stop, then fills like a market order at the worse of
 *   open and stop (taker); once triggered it stays triggered;
 * - participation: at most participation_pct_max of the bar's volume fills per bar; the rest keeps
 *   working on later bars until filled, canceled or expired. A bar with no volume fills nothing.
 *   participation_pct_max null = no volume cap (volume is not modelled): an order fills whole on
 *   any bar it trades on, a bar with no volume included (at its open, like engines that do not
 *   model volume); the book config then requires impact_bps_per_volume_pct = 0.
 * Rounding: an OBSERVED price (a bar's open taken as it is, a limit or stop price the order
 * already carries) is never rounded: an old open with more decimals than the pair's tick has
 * today was a real trade at its time. Only a price the engine COMPUTES (the open or stop moved by
 * slippage and impact) is rounded to the pair's price decimals, against the trader (buys up,
 * sells down). At 0 bps slippage and no impact a market fill is exactly the bar's open.
 * Quantities round down to lot decimals. Pure: the caller owns cash checks and state.
 */
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import type { Liquidity } from './fees.js';
import type { PairSpec } from './pairs.js';

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop';

export interface ExecutionModel {
  readonly slippage_bps: Decimal;
  readonly impact_bps_per_volume_pct: Decimal;
  /** Max share of a bar's volume one order may take in that bar, percent (0 < x <= 100); null = no volume cap. */
  readonly participation_pct_max: Decimal | null;
}

export interface MatchableOrder {
  readonly side: Side;
  readonly type: OrderType;
  readonly remaining: Decimal;
  readonly limit_price: Decimal | null;
  readonly stop_price: Decimal | null;
  readonly triggered: boolean;
}

export interface Match {
  readonly qty: Decimal;
  readonly price: Decimal;
  readonly liquidity: Liquidity;
  /** True when a stop order triggered on this bar (even if nothing could fill). */
  readonly triggered_now: boolean;
}

const BPS = Decimal.of(10_000);
const HUNDRED = Decimal.of(100);

/**
 * The fill price from an observed price: moved against the trader by `bps` and then rounded to the
 * pair's tick against them (buys up, sells down). With 0 bps nothing is computed, so the observed
 * price is returned as it is, never rounded.
 */
export function slipped(price: Decimal, side: Side, bps: Decimal, pair: PairSpec): Decimal {
  if (bps.isZero()) return price;
  const factor = side === 'buy' ? BPS.add(bps) : BPS.sub(bps);
  return price.mul(factor).div(BPS, pair.pair_decimals, side === 'buy' ? 'ceil' : 'floor');
}

/**
 * The quantity this bar allows for one order: participation cap of its volume, lot-rounded down;
 * null when the model has no volume cap (any quantity, even on a bar with no volume).
 */
export function participationCap(bar: Candle, model: ExecutionModel, pair: PairSpec): Decimal | null {
  if (model.participation_pct_max === null) return null;
  if (bar.count === 0 || !bar.volume.isPositive()) return Decimal.ZERO;
  return bar.volume.mul(model.participation_pct_max).div(HUNDRED, pair.lot_decimals, 'down');
}

/**
 * The close-remainder rule: when a SELL order ends expired while its unfilled remainder still
 * covers the whole position held (it was a close: an exit or an operator flatten meant to go
 * flat), the engine re-places a market sell of what is held on the next bar. Returns that
 * quantity, or null when nothing is to be re-placed (a buy, a partial reduce, or nothing held).
 */
export function closeRemainder(order: { readonly side: Side; readonly remaining: Decimal }, held: Decimal): Decimal | null {
  if (order.side !== 'sell' || !held.isPositive() || order.remaining.lt(held)) return null;
  return held;
}

/**
 * Matches an order against one bar. Returns null when it does not trade on this bar (and did
 * not trigger); a Match with qty 0 when a stop triggered but no volume was available.
 */
export function matchOrder(order: MatchableOrder, bar: Candle, model: ExecutionModel, pair: PairSpec): Match | null {
  const cap = participationCap(bar, model, pair);
  const qty = (cap === null ? order.remaining : order.remaining.min(cap)).round(pair.lot_decimals, 'down');
  const buy = order.side === 'buy';

  if (order.type === 'limit') {
    const limit = order.limit_price as Decimal;
    const through = buy ? bar.low.lte(limit) : bar.high.gte(limit);
    if (!through || qty.isZero()) return null;
    const gapped = buy ? bar.open.lte(limit) : bar.open.gte(limit);
    return { qty, price: gapped ? bar.open : limit, liquidity: gapped ? 'taker' : 'maker', triggered_now: false };
  }

  let base = bar.open;
  let triggeredNow = false;
  if (order.type === 'stop' && !order.triggered) {
    const stop = order.stop_price as Decimal;
    const touched = buy ? bar.high.gte(stop) : bar.low.lte(stop);
    if (!touched) return null;
    triggeredNow = true;
    base = buy ? bar.open.max(stop) : bar.open.min(stop);
  }
  if (qty.isZero()) return triggeredNow ? { qty, price: base, liquidity: 'taker', triggered_now: true } : null;
  let bps = model.slippage_bps;
  if (model.impact_bps_per_volume_pct.isPositive()) {
    if (!bar.volume.isPositive()) throw new RangeError('impact_bps_per_volume_pct needs a bar volume (a book without a volume cap must set it to 0)');
    const pctOfVolume = qty.percentOf(bar.volume, 8, 'up');
    bps = bps.add(pctOfVolume.mul(model.impact_bps_per_volume_pct)).round(8, 'up');
  }
  return { qty, price: slipped(base, order.side, bps, pair), liquidity: 'taker', triggered_now: triggeredNow };
}
