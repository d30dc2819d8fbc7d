/**
 * The governance seam and the risk gate.
 *
 * Skills emit signals; the engine turns them into OrderIntents; an intent passes through a chain
 * of IntentGates, each of which allows it, resizes it (down, never up) or denies it, always with
 * machine-readable reasons. The chain runs as the policy's risk check (rule = the gate id, e.g.
 * `risk:default@1`; core/book/orders.ts riskChecks): an allow or a resize is an ALLOW (a resize
 * with the smaller quantity), a deny a BLOCK naming its reason codes, and the verdict is recorded
 * in `policy.evaluated` before any order exists (there is no separate risk verdict event).
 *
 * Risk rules, in order (first deny wins; resizes compound):
 *   halted tier                 -> deny  tier_halted (every order)
 *   sell with nothing held      -> deny  no_position (no shorting); sell more than held -> resize sell_clamped_to_position
 *   buy in reducing_only tier   -> deny  tier_reducing_only
 *   buy during cooldown         -> deny  cooldown_active
 *   buy of a new asset at max   -> deny  open_positions_max
 *   buy in reduced tier         -> resize tier_reduced_size (qty x reduced_size_factor)
 *   buy costing more than free cash (cash - reserved for working buys), fees and slippage
 *                               -> deny  would_need_leverage (spot only: an order sized beyond the cash
 *                                  is a sizing error, so it is refused, not quietly shrunk)
 *   buy beyond asset/total cap  -> resize asset_exposure_cap / total_exposure_cap to the room left
 *                                  (deny when no room)
 *   below pair minimum qty/cost -> deny  below_min_qty / below_min_cost
 */
import { Decimal } from '../money/decimal.js';
import type { PairSpec } from '../execution/pairs.js';
import { belowMinimum } from '../execution/pairs.js';
import type { OrderType, Side } from '../execution/fills.js';
import { profileRef, type RiskProfile, type Tier } from './profile.js';

export interface OrderIntent {
  readonly intent_id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly qty: Decimal;
  readonly limit_price: Decimal | null;
  readonly stop_price: Decimal | null;
  /** All-in cost of one unit used for cash and exposure checks (price incl. slippage and taker fee). */
  readonly unit_cost: Decimal;
  /** Reference price (last close or the limit) for exposure and minimum-cost checks. */
  readonly ref_price: Decimal;
}

export interface RiskReason {
  readonly code: string;
  readonly detail: string;
}

export type Outcome = 'allow' | 'resize' | 'deny';

export interface GateVerdict {
  readonly gate: string;
  readonly outcome: Outcome;
  readonly qty: Decimal;
  readonly reasons: readonly RiskReason[];
}

/** What the gate sees of the book: derived from the engine state at the decision bar. */
export interface PortfolioView {
  readonly equity: Decimal;
  /** Cash minus what working buy orders have reserved. */
  readonly free_cash: Decimal;
  readonly tier: Tier;
  readonly cooldown_active: boolean;
  /** Value per symbol of what is held (at the last close) plus working buys (at their reference). */
  readonly exposure: Readonly<Record<string, Decimal>>;
  readonly held_qty: (symbol: string) => Decimal;
  /** Symbols held or with working buys. */
  readonly open_symbols: readonly string[];
}

export interface IntentGate {
  readonly id: string;
  check(intent: OrderIntent, view: PortfolioView, pair: PairSpec): GateVerdict;
}

const HUNDRED = Decimal.of(100);

export function riskGate(profile: RiskProfile): IntentGate {
  const id = `risk:${profileRef(profile)}`;
  return {
    id,
    check(intent, view, pair) {
      const reasons: RiskReason[] = [];
      const deny = (code: string, detail: string): GateVerdict => ({ gate: id, outcome: 'deny', qty: Decimal.ZERO, reasons: [...reasons, { code, detail }] });
      let qty = intent.qty.round(pair.lot_decimals, 'down');
      if (view.tier === 'halted') return deny('tier_halted', 'drawdown reached the halted tier: no orders until an operator resumes');
      if (intent.side === 'sell') {
        const held = view.held_qty(intent.symbol);
        if (!held.isPositive()) return deny('no_position', `nothing of ${intent.symbol} held: spot only, no shorting`);
        if (qty.gt(held)) {
          reasons.push({ code: 'sell_clamped_to_position', detail: `requested ${qty.toString()}, held ${held.toString()}` });
          qty = held;
        }
        // A sell may close a position below the pair minimum: closing is always allowed.
        if (!qty.eq(held)) {
          const why = belowMinimum(pair, qty, intent.ref_price);
          if (why !== null) return deny(why, `sell of ${qty.toString()} below the pair minimum and not a full close`);
        }
        return { gate: id, outcome: reasons.length === 0 ? 'allow' : 'resize', qty, reasons };
      }
      if (view.tier === 'reducing_only') return deny('tier_reducing_only', 'drawdown tier allows only orders that reduce a position');
      if (view.cooldown_active) return deny('cooldown_active', 'a severe loss started a cooldown: no new buys until it ends');
      if (!view.open_symbols.includes(intent.symbol) && view.open_symbols.length >= profile.open_positions_max) {
        return deny('open_positions_max', `${view.open_symbols.length} positions open, max ${profile.open_positions_max}`);
      }
      if (view.tier === 'reduced') {
        const reduced = qty.mul(profile.reduced_size_factor).round(pair.lot_decimals, 'down');
        reasons.push({ code: 'tier_reduced_size', detail: `qty x ${profile.reduced_size_factor.toString()}: ${qty.toString()} -> ${reduced.toString()}` });
        qty = reduced;
      }
      const need = qty.mul(intent.unit_cost);
      if (need.gt(view.free_cash)) {
        return deny('would_need_leverage', `needs ${need.toString()} incl. fees and slippage, free cash ${view.free_cash.toString()}`);
      }
      const value = qty.mul(intent.ref_price);
      const assetNow = view.exposure[intent.symbol] ?? Decimal.ZERO;
      let totalNow = Decimal.ZERO;
      for (const v of Object.values(view.exposure)) totalNow = totalNow.add(v);
      const capAsset = view.equity.mul(profile.asset_exposure_pct_max).div(HUNDRED, 12, 'down');
      const capTotal = view.equity.mul(profile.total_exposure_pct_max).div(HUNDRED, 12, 'down');
      const room = capAsset.sub(assetNow).min(capTotal.sub(totalNow));
      if (assetNow.add(value).gt(capAsset) || totalNow.add(value).gt(capTotal)) {
        const code = assetNow.add(value).gt(capAsset) ? 'asset_exposure_cap' : 'total_exposure_cap';
        if (!room.isPositive()) return deny(code, `no room: asset ${assetNow.toString()} / cap ${capAsset.toString()}, total ${totalNow.toString()} / cap ${capTotal.toString()}`);
        // Fit at the all-in unit cost (>= ref price) so the resized order also fits the cash check.
        const fitted = room.div(intent.unit_cost, pair.lot_decimals, 'down');
        reasons.push({ code, detail: `qty ${qty.toString()} -> ${fitted.toString()} to stay within the cap (room ${room.toString()})` });
        qty = fitted;
      }
      const why = belowMinimum(pair, qty, intent.ref_price);
      if (why !== null) return deny(why, `qty ${qty.toString()} at ${intent.ref_price.toString()} is below the minimum of ${pair.symbol}`);
      return { gate: id, outcome: reasons.length === 0 ? 'allow' : 'resize', qty, reasons };
    },
  };
}

/** Runs the gates in order; stops at the first deny; each later gate sees the resized intent. */
export function runGates(gates: readonly IntentGate[], intent: OrderIntent, view: PortfolioView, pair: PairSpec): GateVerdict[] {
  const out: GateVerdict[] = [];
  let current = intent;
  for (const g of gates) {
    const v = g.check(current, view, pair);
    if (v.qty.gt(current.qty)) throw new Error(`gate ${g.id} enlarged an order (${current.qty.toString()} -> ${v.qty.toString()}): gates may only shrink`);
    out.push(v);
    if (v.outcome === 'deny') break;
    current = { ...current, qty: v.qty };
  }
  return out;
}
