/**
 * Orders inside a step: the gate chain (risk.decided for every verdict, before any order exists),
 * placing, canceling, and the market sells of exits and flattens. Every state change goes through
 * ctx.emit (event -> evolve), so what a step decides is exactly what a fold of its events gives.
 */
import type { CanonicalValue } from '../canonical/index.js';
import { Decimal } from '../money/decimal.js';
import type { PairSpec } from '../execution/index.js';
import { positionQty } from '../ledger/index.js';
import { runGates, type OrderIntent, type PortfolioView } from '../risk/index.js';
import type { ResolvedBook } from './config.js';
import type { BookEvent } from './events.js';
import { lastCandle, type BookState } from './state.js';

/** Limit: working orders of one book. */
export const WORKING_ORDERS_MAX = 1_000;

/** What a step's order logic needs: the book, the state being built, the step's market time, emit. */
export interface StepContext {
  readonly book: ResolvedBook;
  readonly s: BookState;
  /** Market time of the engine events of this step. */
  readonly time_ms: number;
  emit(e: BookEvent): void;
}

export function lastClose(s: BookState, symbol: string): Decimal | null {
  return lastCandle(s, symbol)?.close ?? null;
}

/** Cash minus what working buys have reserved. */
export function freeCash(s: BookState): Decimal {
  let reserved = Decimal.ZERO;
  for (const o of s.orders) if (o.side === 'buy') reserved = reserved.add(o.remaining.mul(o.unit_cost));
  return s.ledger.cash.sub(reserved);
}

/** What the gates see of the book at this step. */
export function portfolioView(ctx: StepContext): PortfolioView {
  const { s } = ctx;
  const exposure: Record<string, Decimal> = {};
  const open = new Set<string>();
  for (const sym of Object.keys(s.ledger.lots)) {
    exposure[sym] = positionQty(s.ledger, sym).mul(lastClose(s, sym) ?? Decimal.ZERO);
    open.add(sym);
  }
  for (const o of s.orders) {
    if (o.side !== 'buy') continue;
    exposure[o.symbol] = (exposure[o.symbol] ?? Decimal.ZERO).add(o.remaining.mul(o.ref_price));
    open.add(o.symbol);
  }
  return {
    equity: s.equity, free_cash: freeCash(s), tier: s.tier, cooldown_active: ctx.time_ms < s.cooldown_until_ms, exposure,
    held_qty: (sym) => positionQty(s.ledger, sym), open_symbols: [...open].sort(),
  };
}

export function cancelWorking(ctx: StepContext, symbol: string, reason: string): void {
  for (const o of ctx.s.orders.filter((x) => x.symbol === symbol)) {
    ctx.emit({ type: 'order.closed', time_ms: ctx.time_ms, payload: { order_id: o.order_id, status: 'canceled', filled_qty: o.qty.sub(o.remaining).toString(), reason } });
  }
}

/** intent.created, the gate chain (or the operator's allow), then order.placed unless denied. */
export function submit(ctx: StepContext, intent: OrderIntent, signalId: string | null, sizing: CanonicalValue, expireBars: number, pair: PairSpec, gated: boolean): void {
  const { s, time_ms } = ctx;
  ctx.emit({
    type: 'intent.created', time_ms,
    payload: {
      intent_id: intent.intent_id, signal_id: signalId, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: intent.qty.toString(),
      limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
      unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), sizing,
    },
  });
  let qty = intent.qty;
  const decided = (gate: string, outcome: 'allow' | 'resize' | 'deny', allowed: Decimal, reasons: readonly { code: string; detail: string }[]) =>
    ctx.emit({ type: 'risk.decided', time_ms, payload: { intent_id: intent.intent_id, gate, outcome, qty_requested: qty.toString(), qty_allowed: allowed.toString(), reasons, tier: s.tier } });
  if (gated) {
    for (const v of runGates(ctx.book.gates, intent, portfolioView(ctx), pair)) {
      decided(v.gate, v.outcome, v.qty, v.reasons.map((r) => ({ code: r.code, detail: r.detail })));
      if (v.outcome === 'deny') return;
      qty = v.qty;
    }
  } else {
    decided('operator', 'allow', qty, [{ code: 'operator_command', detail: 'flatten ordered by an operator' }]);
  }
  if (s.orders.length >= WORKING_ORDERS_MAX) {
    decided('engine', 'deny', Decimal.ZERO, [{ code: 'working_orders_max', detail: `${WORKING_ORDERS_MAX} orders already working` }]);
    return;
  }
  ctx.emit({
    type: 'order.placed', time_ms,
    payload: {
      order_id: `O${s.seq.order + 1}`, intent_id: intent.intent_id, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: qty.toString(),
      limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
      unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), expire_bars: expireBars,
    },
  });
}

/** A market sell of `qty` (an exit, a reduce or a flatten), through the gates unless an operator ordered it. */
export function marketSell(ctx: StepContext, symbol: string, qty: Decimal, signalId: string | null, gated: boolean): void {
  const pair = ctx.book.pairs[symbol] as PairSpec;
  const close = lastClose(ctx.s, symbol) as Decimal;
  const intent: OrderIntent = { intent_id: `I${ctx.s.seq.intent + 1}`, symbol, side: 'sell', type: 'market', qty, limit_price: null, stop_price: null, unit_cost: close, ref_price: close };
  submit(ctx, intent, signalId, { mode: 'position_share' }, ctx.book.execution.market_expire_bars, pair, gated);
}
