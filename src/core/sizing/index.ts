/**
 * Sizing: how much to buy for an entry signal. Four modes, all exact decimals except the ATR
 * (an indicator, float) which is converted to a decimal once, at 8 fractional digits:
 * - fixed_qty:      qty
 * - fixed_notional: notional / unit_cost
 * - pct_equity:     equity * pct / 100 / unit_cost
 * - vol_target:     equity * risk_pct / 100 / (atr * atr_mult)   (lose risk_pct if the stop at
 *                   atr_mult ATRs is hit), never more than pct_equity_max of equity
 * unit_cost = price * (1 + slippage_bps/10^4) * (1 + taker_pct/100): what one unit costs all-in,
 * so "100 % of equity" fits in cash, exact. Quantities round DOWN to the pair's lot decimals, the
 * only rounding of a size (no intermediate is cut to a working scale). Minimum
 * order size and cost are checked by the risk gate (denied there, with a reason).
 */
import { Decimal } from '../money/decimal.js';

export type SizingConfig =
  | { readonly mode: 'fixed_qty'; readonly qty: Decimal }
  | { readonly mode: 'fixed_notional'; readonly notional: Decimal }
  | { readonly mode: 'pct_equity'; readonly pct: Decimal }
  | { readonly mode: 'vol_target'; readonly risk_pct: Decimal; readonly atr_mult: Decimal; readonly pct_equity_max: Decimal };

export interface SizingInput {
  readonly price: Decimal;
  readonly equity: Decimal;
  readonly lot_decimals: number;
  readonly slippage_bps: Decimal;
  readonly taker_pct: Decimal;
  /** ATR of the symbol at the decision bar, when the skill computed one. */
  readonly atr: number | null;
}

export type SizingResult =
  | { readonly ok: true; readonly qty: Decimal; readonly unit_cost: Decimal; readonly detail: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: 'sizing_no_atr' | 'sizing_nonpositive'; readonly detail: Readonly<Record<string, string>> };

const HUNDRED = Decimal.of(100);
const BPS = Decimal.of(10_000);

/**
 * price x (10^4 + bps) x (100 + pct) / 10^6, exact (no rounding: the product's digits are those of
 * its factors, ~20 at most for a price of 12 decimals). It was rounded up to 12 decimals in two
 * steps, which sized buys a few lots short of the documented cash / (close x (1 + bps) x (1 + pct))
 * on cheap pairs with slippage (found against a plain loop on STORJ/USD at 3 bps).
 */
export function unitCost(price: Decimal, slippageBps: Decimal, takerPct: Decimal): Decimal {
  const scaled = price.mul(BPS.add(slippageBps)).mul(HUNDRED.add(takerPct));
  return scaled.div(MILLION, scaled.scale + 6, 'down').normalized(); // a division by 10^6 with 6 more digits: exact
}
const MILLION = Decimal.of(1_000_000);

/** Decimal from an indicator float: its recorded text (Decimal.ofFloat) rounded once, half-even, to 8 fractional digits (not toFixed(12) first: a double rounding). */
export function decimalFromFloat(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  return Decimal.ofFloat(x).round(8, 'half_even');
}

export function sizeEntry(cfg: SizingConfig, input: SizingInput): SizingResult {
  const uc = unitCost(input.price, input.slippage_bps, input.taker_pct);
  const lot = input.lot_decimals;
  let qty: Decimal;
  const detail: Record<string, string> = { mode: cfg.mode, unit_cost: uc.toString(), equity: input.equity.toString() };
  switch (cfg.mode) {
    case 'fixed_qty':
      qty = cfg.qty.round(lot, 'down');
      break;
    case 'fixed_notional':
      qty = cfg.notional.div(uc, lot, 'down');
      break;
    case 'pct_equity':
      qty = input.equity.mul(cfg.pct).div(HUNDRED.mul(uc), lot, 'down'); // one rounding: the lots
      break;
    case 'vol_target': {
      if (input.atr === null || !(input.atr > 0)) return { ok: false, reason: 'sizing_no_atr', detail };
      const atr = decimalFromFloat(input.atr);
      detail.atr = atr.toString();
      const byRisk = input.equity.mul(cfg.risk_pct).div(HUNDRED.mul(atr.mul(cfg.atr_mult)), lot, 'down');
      const byCap = input.equity.mul(cfg.pct_equity_max).div(HUNDRED.mul(uc), lot, 'down');
      qty = byRisk.min(byCap);
      detail.qty_by_risk = byRisk.toString();
      detail.qty_by_cap = byCap.toString();
      break;
    }
  }
  if (!qty.isPositive()) return { ok: false, reason: 'sizing_nonpositive', detail };
  return { ok: true, qty, unit_cost: uc, detail };
}
