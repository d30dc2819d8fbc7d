/**
 * The ledger: Fill -> Lot(s) -> Trade, FIFO, with an append-only cash ledger.
 *
 * Event-sourced in two steps so state stays fold(events): planFill(state, fill) computes the
 * ledger events a fill causes (cash lines, lots opened or consumed with per-lot realized P&L, the
 * trade closed when a position returns to flat), and applyLedgerEvent(state, event) applies one of
 * them mechanically. A trade is a campaign: from flat to flat, across partial exits and re-entries.
 *
 * Accounting: a buy debits cost (price x qty, exact) and its fee (a separate line) and opens a lot
 * carrying its cost basis and its entry fee. A sell consumes lots oldest first; each piece realizes
 * (exit - entry) x qty - its share of the entry fee - its share of the exit fee. Fee shares are
 * pro-rata, half-even to fee decimals, and the last piece takes the remainder, so nothing is lost:
 *   cash + sum(open lot basis + open lot fee) - realized_total = deposits      (checkLedger)
 */
import { Decimal } from '../money/decimal.js';

export type CashKind = 'deposit' | 'buy_cost' | 'sell_proceeds' | 'fee';

export interface Lot {
  readonly lot_id: string;
  readonly qty: Decimal;
  readonly price: Decimal;
  /** Entry fee still attached to the open quantity. */
  readonly fee: Decimal;
  readonly opened_ms: number;
}

export interface Campaign {
  readonly trade_id: string;
  readonly opened_ms: number;
  readonly qty_bought: Decimal;
  readonly realized: Decimal;
  readonly fees: Decimal;
}

export interface LedgerState {
  readonly cash: Decimal;
  readonly deposits: Decimal;
  readonly lots: Readonly<Record<string, readonly Lot[]>>;
  readonly campaigns: Readonly<Record<string, Campaign>>;
  readonly realized_total: Decimal;
  readonly fees_total: Decimal;
  readonly trades_closed: number;
  readonly next_line: number;
  readonly next_lot: number;
  readonly next_trade: number;
}

export interface LedgerFill {
  readonly fill_id: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: Decimal;
  readonly price: Decimal;
  readonly fee: Decimal;
  readonly time_ms: number;
}

export type LedgerEvent =
  | { type: 'cash.posted'; payload: { line: number; kind: CashKind; amount: string; balance: string; ref: string } }
  | { type: 'lot.opened'; payload: { lot_id: string; trade_id: string; symbol: string; qty: string; price: string; fee: string; fill_id: string; opened_ms: number } }
  | { type: 'lot.consumed'; payload: { lot_id: string; symbol: string; fill_id: string; qty: string; entry_price: string; exit_price: string; entry_fee: string; exit_fee: string; realized_pnl: string; qty_left: string } }
  | { type: 'trade.closed'; payload: { trade_id: string; symbol: string; opened_ms: number; closed_ms: number; qty_bought: string; realized_pnl: string; fees: string } };

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

/** Limit: open lots per symbol (a position is never split finer than this). */
export const LOTS_PER_SYMBOL_MAX = 10_000;

export function emptyLedger(): LedgerState {
  return {
    cash: Decimal.ZERO, deposits: Decimal.ZERO, lots: {}, campaigns: {}, realized_total: Decimal.ZERO,
    fees_total: Decimal.ZERO, trades_closed: 0, next_line: 1, next_lot: 1, next_trade: 1,
  };
}

export function positionQty(s: LedgerState, symbol: string): Decimal {
  const lots = s.lots[symbol];
  if (lots === undefined) return Decimal.ZERO; // flat: asked several times per tick, no [] to iterate
  if (lots.length === 1) return (lots[0] as Lot).qty; // = ZERO.add(qty): same units, same scale
  let q = Decimal.ZERO;
  for (const l of lots) q = q.add(l.qty);
  return q;
}

/**
 * The Decimals behind the amounts of the payloads planned here, by payload object: applying an
 * event this module has just planned (the kernel's own step) reads them instead of parsing its
 * own text back; an event read from the store (another object) is parsed. Same values either way
 * (the text is the canonical text of these Decimals). Weak: an entry goes with its payload.
 */
const planned = new WeakMap<object, readonly Decimal[]>();
function plannedOf(payload: object): readonly Decimal[] | undefined {
  return planned.get(payload);
}

function cashLine(line: number, kind: CashKind, amount: Decimal, balance: Decimal, ref: string): LedgerEvent {
  const payload = { line, kind, amount: amount.toString(), balance: balance.toString(), ref };
  planned.set(payload, [amount]);
  return { type: 'cash.posted', payload };
}

export function planDeposit(s: LedgerState, amount: Decimal, ref: string): LedgerEvent[] {
  if (!amount.isPositive()) throw new LedgerError(`deposit must be positive, got ${amount.toString()}`);
  return [cashLine(s.next_line, 'deposit', amount, s.cash.add(amount), ref)];
}

/** The ledger events of one fill. Throws on a fill the ledger cannot take (a bug upstream). */
export function planFill(s: LedgerState, f: LedgerFill, feeDecimals: number): LedgerEvent[] {
  if (!f.qty.isPositive() || !f.price.isPositive() || f.fee.isNegative()) {
    throw new LedgerError(`fill ${f.fill_id}: qty and price must be positive and fee >= 0`);
  }
  const out: LedgerEvent[] = [];
  let line = s.next_line;
  let cash = s.cash;
  const cost = f.price.mul(f.qty);
  if (f.side === 'buy') {
    cash = cash.sub(cost);
    out.push(cashLine(line++, 'buy_cost', cost.neg(), cash, f.fill_id));
    if (!f.fee.isZero()) {
      cash = cash.sub(f.fee);
      out.push(cashLine(line, 'fee', f.fee.neg(), cash, f.fill_id));
    }
    if (cash.isNegative()) throw new LedgerError(`fill ${f.fill_id}: buy would take cash below zero (${cash.toString()})`);
    const open = s.lots[f.symbol] ?? [];
    if (open.length >= LOTS_PER_SYMBOL_MAX) throw new LedgerError(`${f.symbol}: more than ${LOTS_PER_SYMBOL_MAX} open lots`);
    const campaign = s.campaigns[f.symbol];
    const payload = {
      lot_id: `L${s.next_lot}`, trade_id: campaign?.trade_id ?? `T${s.next_trade}`, symbol: f.symbol, qty: f.qty.toString(),
      price: f.price.toString(), fee: f.fee.toString(), fill_id: f.fill_id, opened_ms: f.time_ms,
    };
    planned.set(payload, [f.qty, f.price, f.fee]);
    out.push({ type: 'lot.opened', payload });
    return out;
  }
  const lots = s.lots[f.symbol] ?? [];
  const held = positionQty(s, f.symbol);
  if (f.qty.gt(held)) throw new LedgerError(`fill ${f.fill_id}: sells ${f.qty.toString()} of ${f.symbol} but holds ${held.toString()} (no shorting)`);
  cash = cash.add(cost);
  out.push(cashLine(line++, 'sell_proceeds', cost, cash, f.fill_id));
  if (!f.fee.isZero()) {
    cash = cash.sub(f.fee);
    out.push(cashLine(line, 'fee', f.fee.neg(), cash, f.fill_id));
  }
  let left = f.qty;
  let exitFeeLeft = f.fee;
  let piecesRealized = Decimal.ZERO; // what the pieces realize and the fees they carry (the trade's, if it closes)
  let piecesFees = Decimal.ZERO;
  for (const lot of lots) {
    if (left.isZero()) break;
    const take = left.min(lot.qty);
    left = left.sub(take);
    const entryFee = take.eq(lot.qty) ? lot.fee : lot.fee.mul(take).div(lot.qty, feeDecimals, 'half_even');
    const exitFee = left.isZero() ? exitFeeLeft : f.fee.mul(take).div(f.qty, feeDecimals, 'half_even').min(exitFeeLeft);
    exitFeeLeft = exitFeeLeft.sub(exitFee);
    const realized = f.price.sub(lot.price).mul(take).sub(entryFee).sub(exitFee);
    piecesRealized = piecesRealized.add(realized);
    piecesFees = piecesFees.add(entryFee).add(exitFee);
    const payload = {
      lot_id: lot.lot_id, symbol: f.symbol, fill_id: f.fill_id, qty: take.toString(), entry_price: lot.price.toString(),
      exit_price: f.price.toString(), entry_fee: entryFee.toString(), exit_fee: exitFee.toString(),
      realized_pnl: realized.toString(), qty_left: lot.qty.sub(take).toString(),
    };
    planned.set(payload, [take, entryFee, realized, exitFee]);
    out.push({ type: 'lot.consumed', payload });
  }
  if (held.eq(f.qty)) {
    const c = s.campaigns[f.symbol];
    if (c === undefined) throw new LedgerError(`${f.symbol}: position without a campaign`);
    const realized = c.realized.add(piecesRealized);
    const fees = c.fees.add(piecesFees);
    out.push({
      type: 'trade.closed',
      payload: {
        trade_id: c.trade_id, symbol: f.symbol, opened_ms: c.opened_ms, closed_ms: f.time_ms, qty_bought: c.qty_bought.toString(),
        realized_pnl: realized.toString(), fees: fees.toString(),
      },
    });
  }
  return out;
}

/** Applies one ledger event. Structural sharing: only the touched parts are copied. */
export function applyLedgerEvent(s: LedgerState, e: LedgerEvent): LedgerState {
  switch (e.type) {
    case 'cash.posted': {
      const p = e.payload;
      if (p.line !== s.next_line) throw new LedgerError(`cash line ${p.line} out of order (expected ${s.next_line})`);
      const amount = plannedOf(p)?.[0] ?? Decimal.parse(p.amount); // [amount]
      const cash = s.cash.add(amount);
      // canonical text on both sides (the codec refuses any other), so equal text = equal value; the
      // balance's text is the one the next mark writes anyway (a Decimal remembers it), no parse.
      if (cash.toString() !== p.balance) throw new LedgerError(`cash line ${p.line}: balance ${p.balance} != ${cash.toString()}`);
      const fee = p.kind === 'fee' ? amount.neg() : Decimal.ZERO;
      return withLedger(s, {
        cash, next_line: s.next_line + 1, fees_total: s.fees_total.add(fee),
        deposits: p.kind === 'deposit' ? s.deposits.add(amount) : s.deposits,
      });
    }
    case 'lot.opened': {
      const p = e.payload;
      const d = plannedOf(p); // [qty, price, fee]
      const lot: Lot = {
        lot_id: p.lot_id, qty: d ? d[0]! : Decimal.parse(p.qty), price: d ? d[1]! : Decimal.parse(p.price), fee: d ? d[2]! : Decimal.parse(p.fee), opened_ms: p.opened_ms,
      };
      const c = s.campaigns[p.symbol];
      const campaign: Campaign = c === undefined
        ? { trade_id: p.trade_id, opened_ms: p.opened_ms, qty_bought: lot.qty, realized: Decimal.ZERO, fees: Decimal.ZERO }
        : { trade_id: c.trade_id, opened_ms: c.opened_ms, qty_bought: c.qty_bought.add(lot.qty), realized: c.realized, fees: c.fees };
      return withLedger(s, {
        lots: withKey(s.lots, p.symbol, [...(s.lots[p.symbol] ?? []), lot]),
        campaigns: withKey(s.campaigns, p.symbol, campaign),
        next_lot: s.next_lot + 1,
        next_trade: c === undefined ? s.next_trade + 1 : s.next_trade,
      });
    }
    case 'lot.consumed': {
      const p = e.payload;
      const lots = s.lots[p.symbol] ?? [];
      const first = lots[0];
      if (first === undefined || first.lot_id !== p.lot_id) throw new LedgerError(`lot ${p.lot_id} consumed out of FIFO order`);
      const d = plannedOf(p); // [qty, entry_fee, realized_pnl, exit_fee]
      const qty = d ? d[0]! : Decimal.parse(p.qty);
      const entryFee = d ? d[1]! : Decimal.parse(p.entry_fee);
      const realized = d ? d[2]! : Decimal.parse(p.realized_pnl);
      const exitFee = d ? d[3]! : Decimal.parse(p.exit_fee);
      const rest = first.qty.sub(qty);
      const next = rest.isZero() ? lots.slice(1) : [{ lot_id: first.lot_id, qty: rest, price: first.price, fee: first.fee.sub(entryFee), opened_ms: first.opened_ms }, ...lots.slice(1)];
      const c = s.campaigns[p.symbol] as Campaign;
      const lotsOut = next.length === 0 ? without(s.lots, p.symbol) : withKey(s.lots, p.symbol, next);
      return withLedger(s, {
        lots: lotsOut, realized_total: s.realized_total.add(realized),
        campaigns: withKey(s.campaigns, p.symbol, {
          trade_id: c.trade_id, opened_ms: c.opened_ms, qty_bought: c.qty_bought, realized: c.realized.add(realized), fees: c.fees.add(entryFee).add(exitFee),
        }),
      });
    }
    case 'trade.closed':
      return withLedger(s, { campaigns: without(s.campaigns, e.payload.symbol), trades_closed: s.trades_closed + 1 });
  }
}

/**
 * { ...s, ...c } written out field by field: an object spread followed by more keys costs V8 about
 * 1-2 us a call (measured on Node 20), a literal of the same fields a tenth of it; every fill
 * applies two to four ledger events.
 */
function withLedger(s: LedgerState, c: Partial<LedgerState>): LedgerState {
  return {
    cash: c.cash ?? s.cash, deposits: c.deposits ?? s.deposits, lots: c.lots ?? s.lots, campaigns: c.campaigns ?? s.campaigns,
    realized_total: c.realized_total ?? s.realized_total, fees_total: c.fees_total ?? s.fees_total, trades_closed: c.trades_closed ?? s.trades_closed,
    next_line: c.next_line ?? s.next_line, next_lot: c.next_lot ?? s.next_lot, next_trade: c.next_trade ?? s.next_trade,
  };
}

/** { ...r, [key]: v } without the spread (same key order: an existing key keeps its place, a new one comes last). */
function withKey<V>(r: Readonly<Record<string, V>>, key: string, v: V): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(r)) out[k] = k === key ? v : (r[k] as V);
  out[key] = v;
  return out;
}

/**
 * A copy of a record without one key, built by adding the others (a `delete` turns an object into
 * a slow dictionary, which every later Object.keys of the lots, once per tick, pays for).
 */
function without<V>(r: Readonly<Record<string, V>>, key: string): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(r)) if (k !== key) out[k] = r[k] as V;
  return out;
}

/** The ledger invariants; throws LedgerError naming the first one broken. */
export function checkLedger(s: LedgerState): void {
  if (s.cash.isNegative()) throw new LedgerError(`invariant: cash ${s.cash.toString()} < 0`);
  let held = Decimal.ZERO;
  for (const [symbol, lots] of Object.entries(s.lots)) {
    if (lots.length === 0) throw new LedgerError(`invariant: empty lot list kept for ${symbol}`);
    if (s.campaigns[symbol] === undefined) throw new LedgerError(`invariant: ${symbol} has lots but no open trade`);
    for (const l of lots) {
      if (!l.qty.isPositive()) throw new LedgerError(`invariant: lot ${l.lot_id} qty ${l.qty.toString()} <= 0`);
      if (l.fee.isNegative()) throw new LedgerError(`invariant: lot ${l.lot_id} fee ${l.fee.toString()} < 0`);
      held = held.add(l.price.mul(l.qty)).add(l.fee);
    }
  }
  for (const symbol of Object.keys(s.campaigns)) {
    if (s.lots[symbol] === undefined) throw new LedgerError(`invariant: open trade for ${symbol} without lots`);
  }
  const identity = s.cash.add(held).sub(s.realized_total);
  if (!identity.eq(s.deposits)) {
    throw new LedgerError(`invariant: cash + open cost basis - realized = ${identity.toString()} != deposits ${s.deposits.toString()}`);
  }
}
