/**
 * Orders inside a step: the risk rules (run as checks of the policy engine, before any order
 * exists), recording an intent, placing, canceling. Every state change goes through ctx.emit
 * (event -> evolve), so what a step decides is exactly what a fold of its events gives. Orders
 * come from approved directives (./govern.ts), from an operator's flatten and from the engine's
 * close-remainder rule (./tick.ts); nothing else places one.
 */
import type { CanonicalValue } from '../canonical/index.js';
import { Decimal } from '../money/decimal.js';
import type { PairSpec } from '../execution/index.js';
import { positionQty } from '../ledger/index.js';
import { runGates, type OrderIntent, type PortfolioView, type RiskProfile } from '../risk/index.js';
import type { RuleResult } from '../governance/index.js';
import type { ResolvedBook } from './config.js';
import type { BookEvent } from './events.js';
import { lastCandle, type BookState } from './state.js';
import type { StepProbe } from './probe.js';

/** Limit: working orders of one book. */
export const WORKING_ORDERS_MAX = 1_000;

/** What a step's order logic needs: the book, the state being built, the step's market time, emit. */
export interface StepContext {
  readonly book: ResolvedBook;
  readonly s: BookState;
  /** Market time of the engine events of this step. */
  readonly time_ms: number;
  emit(e: BookEvent): void;
  /** The driver's timing seam (./probe.ts), if it gave one. */
  readonly probe?: StepProbe;
}

export function lastClose(s: BookState, symbol: string): Decimal | null {
  return lastCandle(s, symbol)?.close ?? null;
}

/** The risk profile in force: an approved risk.profile.change, else the book config's. */
export function activeProfile(ctx: StepContext): RiskProfile {
  return ctx.s.risk_override?.resolved ?? ctx.book.profile;
}

/** Cash minus what working buys have reserved. */
export function freeCash(s: BookState): Decimal {
  let reserved = Decimal.ZERO;
  for (const o of s.orders) if (o.side === 'buy') reserved = reserved.add(o.remaining.mul(o.unit_cost));
  return s.ledger.cash.sub(reserved);
}

/** What the risk rules see of the book at this step. */
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

/**
 * The book's risk rules on an intent, as policy results (rule = the gate id, e.g. "risk:default@1": a deny is a BLOCK naming
 * its reason codes, a resize an ALLOW with the smaller quantity). qty is what they allow, or null
 * when one blocked.
 */
export function riskChecks(ctx: StepContext, intent: OrderIntent, pair: PairSpec): { checks: RuleResult[]; qty: Decimal | null } {
  const checks: RuleResult[] = [];
  let qty: Decimal | null = intent.qty;
  const gates = ctx.s.risk_override === null ? ctx.book.gates : [ctx.s.risk_override.gate];
  for (const v of runGates(gates, intent, portfolioView(ctx), pair)) {
    const why = v.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ');
    if (v.outcome === 'deny') {
      checks.push({ rule: v.gate, verdict: 'BLOCK', reason: why || 'denied' });
      qty = null;
      break;
    }
    checks.push({ rule: v.gate, verdict: 'ALLOW', reason: v.outcome === 'resize' ? `resized ${qty.toString()} -> ${v.qty.toString()}: ${why}` : why || 'allowed' });
    qty = v.qty;
  }
  return { checks, qty };
}

export function cancelWorking(ctx: StepContext, symbol: string, reason: string): void {
  for (const o of ctx.s.orders.filter((x) => x.symbol === symbol)) {
    ctx.emit({ type: 'order.closed', time_ms: ctx.time_ms, payload: { order_id: o.order_id, status: 'canceled', filled_qty: o.qty.sub(o.remaining).toString(), reason } });
  }
}

/** intent.created: the sized order a signal, an operator or the engine asks for (before any check). */
export function recordIntent(ctx: StepContext, intent: OrderIntent, signalId: string | null, sizing: CanonicalValue): void {
  ctx.emit({
    type: 'intent.created', time_ms: ctx.time_ms,
    payload: {
      intent_id: intent.intent_id, signal_id: signalId, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: intent.qty.toString(),
      limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
      unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), sizing,
    },
  });
}

/** order.placed for `qty` of the intent; returns null, or why it could not be placed (nothing written then). */
export function placeOrder(ctx: StepContext, intent: OrderIntent, qty: Decimal, expireBars: number): string | null {
  const { s, time_ms } = ctx;
  if (!qty.isPositive()) return `quantity ${qty.toString()} is not positive`;
  if (s.orders.length >= WORKING_ORDERS_MAX) return `working_orders_max: ${WORKING_ORDERS_MAX} orders already working`;
  ctx.emit({
    type: 'order.placed', time_ms,
    payload: {
      order_id: `O${s.seq.order + 1}`, intent_id: intent.intent_id, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: qty.toString(),
      limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
      unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), expire_bars: expireBars,
    },
  });
  return null;
}

/** A market sell intent of `qty` at the last close (an exit, a reduce, a flatten, a close remainder). */
export function sellIntent(ctx: StepContext, symbol: string, qty: Decimal): OrderIntent {
  const close = lastClose(ctx.s, symbol) as Decimal;
  return { intent_id: `I${ctx.s.seq.intent + 1}`, symbol, side: 'sell', type: 'market', qty, limit_price: null, stop_price: null, unit_cost: close, ref_price: close };
}

/** An operator's flatten (or a book.flatten directive): cancel what works and sell what is held, no risk rule in the way. */
export function flatten(ctx: StepContext, symbols: readonly string[] | null, by: string): number {
  let placed = 0;
  for (const symbol of Object.keys(ctx.s.ledger.lots).sort()) {
    if (symbols !== null && !symbols.includes(symbol)) continue;
    cancelWorking(ctx, symbol, 'flatten');
    const held = positionQty(ctx.s.ledger, symbol);
    const intent = sellIntent(ctx, symbol, held);
    recordIntent(ctx, intent, null, { mode: 'flatten', by });
    if (placeOrder(ctx, intent, held, ctx.book.execution.market_expire_bars) === null) placed++;
  }
  return placed;
}
