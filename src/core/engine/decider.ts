/**
 * The trading kernel as ONE pure decider: engineDecider(book) -> { decide, evolve, initialState }.
 * The backtest folds it over historical bars; the paper runtime will fold it over live bars and
 * operator commands. decide() builds its events step by step and evolves a private copy of the
 * state as it goes, so each step sees the effects of the previous ones.
 *
 * One tick (`bar_closed` at time T, candles of bar T):
 *   1. record the bars (bar.closed);
 *   2. fill the orders that were working BEFORE this tick against these bars (they were decided at
 *      an earlier close: no lookahead), post the ledger, expire what ran out of bars;
 *   3. mark the portfolio at T's closes; update the drawdown tier;
 *   4. run the skills on history up to T; signals -> intents -> gates -> orders, which can only
 *      fill from the next tick on.
 * Invariants are checked after every tick (ledger identity, cash >= 0, quantities >= 0, lots sum
 * to positions); a breach throws, which means a bug, and nothing of the tick is kept.
 */
import { canonicalJson, type CanonicalValue } from '../canonical/index.js';
import type { Decider } from '../decider/index.js';
import { Decimal } from '../money/decimal.js';
import { closeTimeMs, type Candle } from '../market/candle.js';
import { closeRemainder, feeFor, matchOrder, type PairSpec, type Side } from '../execution/index.js';
import { checkLedger, planDeposit, planFill, positionQty, type LedgerEvent } from '../ledger/index.js';
import { profileRef, runGates, tierFor, type OrderIntent, type PortfolioView, type Tier } from '../risk/index.js';
import { sizeEntry, unitCost } from '../sizing/index.js';
import { numText } from '../indicators/index.js';
import type { SignalDraft } from '../skills/types.js';
import type { ResolvedBook, SkillBinding } from './config.js';
import { EngineCommandError, type EngineCommand, type EngineEvent, type EngineEventType } from './events.js';
import { evolveEngine, historyLength, initialEngineState, lastBars, lastCandle, type EngineState, type WorkingOrder } from './state.js';

const HUNDRED = Decimal.of(100);

/** Limits per tick. */
export const CANDLES_PER_TICK_MAX = 1_000;
export const SIGNALS_PER_SKILL_TICK_MAX = 8;
export const WORKING_ORDERS_MAX = 1_000;

function equityOf(s: EngineState): { equity: Decimal; positions: { symbol: string; qty: Decimal; close: Decimal; value: Decimal }[] } {
  let equity = s.ledger.cash;
  const positions = [];
  for (const symbol of Object.keys(s.ledger.lots).sort()) {
    const qty = positionQty(s.ledger, symbol);
    const last = lastCandle(s.history.get(symbol));
    if (last === undefined) throw new EngineCommandError(`position in ${symbol} without a price`);
    const value = qty.mul(last.close);
    equity = equity.add(value);
    positions.push({ symbol, qty, close: last.close, value });
  }
  return { equity, positions };
}

function lastClose(s: EngineState, symbol: string): Decimal | null {
  return lastCandle(s.history.get(symbol))?.close ?? null;
}

function checkInvariants(s: EngineState): void {
  checkLedger(s.ledger);
  const symbols = new Set([...Object.keys(s.positions), ...Object.keys(s.ledger.lots)]);
  for (const sym of symbols) {
    const fromFills = s.positions[sym] ?? Decimal.ZERO;
    const fromLots = positionQty(s.ledger, sym);
    if (!fromFills.eq(fromLots)) throw new EngineCommandError(`invariant: ${sym} position ${fromFills.toString()} from fills != ${fromLots.toString()} in lots`);
    if (fromFills.isNegative()) throw new EngineCommandError(`invariant: ${sym} position ${fromFills.toString()} < 0`);
  }
  for (const o of s.orders) {
    if (o.remaining.isNegative() || o.remaining.gt(o.qty)) throw new EngineCommandError(`invariant: order ${o.order_id} remaining ${o.remaining.toString()} out of 0..${o.qty.toString()}`);
  }
}

export interface EngineDecider extends Decider<EngineCommand, EngineState, EngineEvent> {
  /** decide + fold in one pass (the state decide() built while deciding; equal to folding its events). */
  readonly step: (cmd: EngineCommand, state: EngineState) => { events: EngineEvent[]; state: EngineState };
}

export function engineDecider(book: ResolvedBook): EngineDecider {
  const intervalMs = book.interval_s * 1000;
  const bindingOf: Record<string, SkillBinding> = {};
  for (const b of book.skills) for (const sym of b.symbols) bindingOf[sym] = b;

  function decide(cmd: EngineCommand, state: EngineState): EngineEvent[] {
    return step(cmd, state).events;
  }

  function step(cmd: EngineCommand, state: EngineState): { events: EngineEvent[]; state: EngineState } {
    const r = stepInner(cmd, state);
    return r;
  }

  function stepInner(cmd: EngineCommand, state: EngineState): { events: EngineEvent[]; state: EngineState } {
    const out: EngineEvent[] = [];
    let s = state;
    const emit = (type: EngineEventType, payload: CanonicalValue, time_ms = cmd.time_ms) => {
      const e: EngineEvent = { type, time_ms, payload };
      out.push(e);
      s = evolveEngine(s, e);
    };
    const emitLedger = (events: LedgerEvent[]) => {
      for (const e of events) emit(e.type, e.payload as unknown as CanonicalValue);
    };
    if (!Number.isSafeInteger(cmd.time_ms) || cmd.time_ms < s.time_ms) throw new EngineCommandError(`command time ${cmd.time_ms} is before the book's time ${s.time_ms}`);
    if (cmd.type === 'start') {
      if (s.started) throw new EngineCommandError('book already started');
      emit('book.started', { book_id: book.config.book_id, config_hash: book.config_hash, initial_cash: book.initial_cash.toString(), window_bars: book.window_bars });
      emitLedger(planDeposit(s.ledger, book.initial_cash, 'initial_cash'));
      return { events: out, state: s };
    }
    if (!s.started) throw new EngineCommandError(`${cmd.type} before start`);

    // ---- orders: placing, the gate chain, canceling ----
    const freeCash = (): Decimal => {
      let reserved = Decimal.ZERO;
      for (const o of s.orders) if (o.side === 'buy') reserved = reserved.add(o.remaining.mul(o.unit_cost));
      return s.ledger.cash.sub(reserved);
    };
    const view = (): PortfolioView => {
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
        equity: s.equity, free_cash: freeCash(), tier: s.tier, cooldown_active: cmd.time_ms < s.cooldown_until_ms, exposure,
        held_qty: (sym) => positionQty(s.ledger, sym), open_symbols: [...open].sort(),
      };
    };
    const cancelWorking = (symbol: string, reason: string) => {
      for (const o of s.orders.filter((x) => x.symbol === symbol)) {
        emit('order.closed', { order_id: o.order_id, status: 'canceled', filled_qty: o.qty.sub(o.remaining).toString(), reason });
      }
    };
    const submit = (intent: OrderIntent, signalId: string | null, sizing: CanonicalValue, expireBars: number, pair: PairSpec, gated: boolean) => {
      emit('intent.created', {
        intent_id: intent.intent_id, signal_id: signalId, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: intent.qty.toString(),
        limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
        unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), sizing,
      });
      let qty = intent.qty;
      if (gated) {
        for (const v of runGates(book.gates, intent, view(), pair)) {
          emit('risk.decided', {
            intent_id: intent.intent_id, gate: v.gate, outcome: v.outcome, qty_requested: qty.toString(), qty_allowed: v.qty.toString(),
            reasons: v.reasons.map((r) => ({ code: r.code, detail: r.detail })), tier: s.tier,
          });
          if (v.outcome === 'deny') return;
          qty = v.qty;
        }
      } else {
        emit('risk.decided', { intent_id: intent.intent_id, gate: 'operator', outcome: 'allow', qty_requested: qty.toString(), qty_allowed: qty.toString(), reasons: [{ code: 'operator_command', detail: 'flatten ordered by an operator' }], tier: s.tier });
      }
      if (s.orders.length >= WORKING_ORDERS_MAX) {
        emit('risk.decided', { intent_id: intent.intent_id, gate: 'engine', outcome: 'deny', qty_requested: qty.toString(), qty_allowed: '0', reasons: [{ code: 'working_orders_max', detail: `${WORKING_ORDERS_MAX} orders already working` }], tier: s.tier });
        return;
      }
      emit('order.placed', {
        order_id: `O${s.seq.order + 1}`, intent_id: intent.intent_id, symbol: intent.symbol, side: intent.side, order_type: intent.type, qty: qty.toString(),
        limit_price: intent.limit_price?.toString() ?? null, stop_price: intent.stop_price?.toString() ?? null,
        unit_cost: intent.unit_cost.toString(), ref_price: intent.ref_price.toString(), expire_bars: expireBars,
      });
    };
    const marketSell = (symbol: string, qty: Decimal, signalId: string | null, gated: boolean) => {
      const pair = book.pairs[symbol] as PairSpec;
      const close = lastClose(s, symbol) as Decimal;
      const intent: OrderIntent = { intent_id: `I${s.seq.intent + 1}`, symbol, side: 'sell', type: 'market', qty, limit_price: null, stop_price: null, unit_cost: close, ref_price: close };
      submit(intent, signalId, { mode: 'position_share' }, book.execution.market_expire_bars, pair, gated);
    };

    if (cmd.type === 'pause') {
      if (!s.paused) emit('book.paused', { reason: cmd.reason });
      return { events: out, state: s };
    }
    if (cmd.type === 'resume') {
      const payload: Record<string, CanonicalValue> = { reason: cmd.reason };
      if (cmd.rebase_peak) payload.rebased_peak = s.equity.toString();
      emit('book.resumed', payload);
      if (cmd.rebase_peak && s.tier !== 'normal') emit('risk.tier_changed', { from: s.tier, to: 'normal', drawdown_pct: '0' });
      return { events: out, state: s };
    }
    if (cmd.type === 'flatten') {
      for (const symbol of Object.keys(s.ledger.lots).sort()) {
        if (cmd.symbols !== null && !cmd.symbols.includes(symbol)) continue;
        cancelWorking(symbol, 'operator_flatten');
        marketSell(symbol, positionQty(s.ledger, symbol), null, false);
      }
      return { events: out, state: s };
    }

    // ---- bar_closed ----
    const candles = [...cmd.candles].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    if (candles.length === 0 || candles.length > CANDLES_PER_TICK_MAX) throw new EngineCommandError(`bar_closed needs 1..${CANDLES_PER_TICK_MAX} candles`);
    if (cmd.time_ms <= state.time_ms && state.bars > 0) throw new EngineCommandError(`bar_closed at ${cmd.time_ms} is not after the last tick ${state.time_ms}`);
    const bySymbol: Record<string, Candle> = {};
    for (const c of candles) {
      if (book.pairs[c.symbol] === undefined) throw new EngineCommandError(`candle for ${c.symbol}, which the book does not trade`);
      if (bySymbol[c.symbol] !== undefined) throw new EngineCommandError(`two candles for ${c.symbol} in one tick`);
      if (c.interval_s !== book.interval_s) throw new EngineCommandError(`${c.symbol}: interval ${c.interval_s}s, the book runs ${book.interval_s}s`);
      if (closeTimeMs(c) !== cmd.time_ms) throw new EngineCommandError(`${c.symbol}: candle closes at ${closeTimeMs(c)}, the tick is ${cmd.time_ms}`);
      bySymbol[c.symbol] = c;
      emit('bar.closed', {
        symbol: c.symbol, interval_s: c.interval_s, open_time_ms: c.open_time_ms, open: c.open.toString(), high: c.high.toString(),
        low: c.low.toString(), close: c.close.toString(), volume: c.volume.toString(), count: c.count,
      });
    }

    // 2. fills: only orders that were working before this tick
    const equityBefore = s.equity;
    for (const placed of state.orders) {
      const bar = bySymbol[placed.symbol];
      if (bar === undefined) continue;
      const o = s.orders.find((x) => x.order_id === placed.order_id) as WorkingOrder | undefined;
      if (o === undefined) continue;
      const pair = book.pairs[o.symbol] as PairSpec;
      const m = matchOrder(o, bar, book.execution, pair);
      if (m?.triggered_now) emit('order.triggered', { order_id: o.order_id, symbol: o.symbol, stop_price: o.stop_price?.toString() ?? null, bar_open_time_ms: bar.open_time_ms });
      let clamp: string | null = null;
      let qty = m?.qty ?? Decimal.ZERO;
      if (m !== null && qty.isPositive()) {
        const pct = m.liquidity === 'maker' ? book.fees.maker_pct : book.fees.taker_pct;
        if (o.side === 'buy') {
          // spot: never spend cash we do not have (a gap can make the fill dearer than the reserve)
          const perUnit = m.price.mul(HUNDRED.add(pct)).div(HUNDRED, 12, 'up');
          let affordable = s.ledger.cash.div(perUnit, pair.lot_decimals, 'down');
          const step = Decimal.of(1, pair.lot_decimals);
          while (affordable.isPositive() && m.price.mul(affordable).add(feeFor(m.price.mul(affordable), pct, pair.fee_decimals)).gt(s.ledger.cash)) affordable = affordable.sub(step);
          if (affordable.lt(qty)) { qty = affordable.max(Decimal.ZERO); clamp = 'cash'; }
        } else {
          const held = positionQty(s.ledger, o.symbol);
          if (held.lt(qty)) { qty = held; clamp = 'position'; }
        }
        if (qty.isPositive()) {
          const cost = m.price.mul(qty);
          const fee = feeFor(cost, pct, pair.fee_decimals);
          const fillId = `F${s.seq.fill + 1}`;
          emit('fill.executed', {
            fill_id: fillId, order_id: o.order_id, symbol: o.symbol, side: o.side, qty: qty.toString(), price: m.price.toString(), cost: cost.toString(),
            fee: fee.toString(), fee_pct: pct.toString(), liquidity: m.liquidity, bar_open_time_ms: bar.open_time_ms, remaining: o.remaining.sub(qty).toString(), clamp,
          });
          const ledgerEvents = planFill(s.ledger, { fill_id: fillId, symbol: o.symbol, side: o.side, qty, price: m.price, fee, time_ms: cmd.time_ms }, pair.fee_decimals);
          emitLedger(ledgerEvents);
          for (const le of ledgerEvents) {
            if (le.type !== 'trade.closed') continue;
            const pnl = Decimal.parse(le.payload.realized_pnl);
            if (pnl.isNegative() && equityBefore.isPositive() && book.profile.cooldown_bars > 0) {
              const lossPct = pnl.neg().mul(HUNDRED).div(equityBefore, 4, 'half_even');
              if (lossPct.gte(book.profile.severe_loss_pct)) {
                emit('risk.cooldown_started', { until_ms: cmd.time_ms + book.profile.cooldown_bars * intervalMs, trade_id: le.payload.trade_id, loss_pct: lossPct.toString() });
              }
            }
          }
        }
      }
      const now = s.orders.find((x) => x.order_id === o.order_id) as WorkingOrder;
      if (now.remaining.isZero()) emit('order.closed', { order_id: o.order_id, status: 'filled', filled_qty: now.qty.toString(), reason: 'filled' });
      else if (now.side === 'sell' && !positionQty(s.ledger, now.symbol).isPositive()) emit('order.closed', { order_id: o.order_id, status: 'canceled', filled_qty: now.qty.sub(now.remaining).toString(), reason: 'position_closed' });
      else if (now.bars_seen >= now.expire_bars) {
        emit('order.closed', { order_id: o.order_id, status: 'expired', filled_qty: now.qty.sub(now.remaining).toString(), reason: `not filled within ${now.expire_bars} bars` });
        replaceCloseRemainder(now);
      }
    }

    // ---- BEGIN close-remainder re-placement (issue F9 item 7b; rule: closeRemainder in execution/fills.ts) ----
    // A close (a sell whose remainder covers the whole position: an exit or an operator flatten)
    // that expires unfilled or partly filled is re-placed at once as a new market sell of what is
    // held, so it works from the next bar on; again and again until the position is flat. It
    // continues an order already allowed, so no gate runs (as for orders working in any tier or
    // while paused); the verdict is recorded as gate "engine", code "close_remainder".
    function replaceCloseRemainder(expired: WorkingOrder): void {
      const qty = closeRemainder(expired, positionQty(s.ledger, expired.symbol));
      if (qty === null) return;
      const close = (lastClose(s, expired.symbol) as Decimal).toString();
      const intentId = `I${s.seq.intent + 1}`;
      const base = { symbol: expired.symbol, side: 'sell', order_type: 'market', qty: qty.toString(), limit_price: null, stop_price: null, unit_cost: close, ref_price: close };
      emit('intent.created', { intent_id: intentId, signal_id: null, ...base, sizing: { mode: 'close_remainder', replaces: expired.order_id } });
      emit('risk.decided', {
        intent_id: intentId, gate: 'engine', outcome: 'allow', qty_requested: qty.toString(), qty_allowed: qty.toString(),
        reasons: [{ code: 'close_remainder', detail: `re-placement of order ${expired.order_id}: it expired with ${qty.toString()} ${expired.symbol} still held` }], tier: s.tier,
      });
      emit('order.placed', { order_id: `O${s.seq.order + 1}`, intent_id: intentId, ...base, expire_bars: book.execution.market_expire_bars });
    }
    // ---- END close-remainder re-placement ----

    // 3. mark and tier
    const { equity, positions } = equityOf(s);
    const peak = s.peak_equity.max(equity);
    const drawdown = peak.isPositive() ? peak.sub(equity).mul(HUNDRED).div(peak, 4, 'half_even') : Decimal.ZERO;
    let invested = Decimal.ZERO;
    for (const p of positions) invested = invested.add(p.value);
    const exposurePct = equity.isPositive() ? invested.mul(HUNDRED).div(equity, 4, 'half_even') : Decimal.ZERO;
    const computed = tierFor(book.profile, drawdown);
    const tier: Tier = s.tier === 'halted' ? 'halted' : computed; // halted is sticky until an operator resumes
    emit('mark.recorded', {
      cash: s.ledger.cash.toString(), positions: positions.map((p) => ({ symbol: p.symbol, qty: p.qty.toString(), close: p.close.toString(), value: p.value.toString() })),
      equity: equity.toString(), exposure_pct: exposurePct.toString(), peak_equity: peak.toString(), drawdown_pct: drawdown.toString(), tier,
    });
    if (tier !== s.tier) emit('risk.tier_changed', { from: s.tier, to: tier, drawdown_pct: drawdown.toString(), profile: profileRef(book.profile) });

    // 4. skills -> signals -> intents -> gates -> orders
    if (!s.paused) {
      for (const symbol of Object.keys(bySymbol)) {
        const b = bindingOf[symbol];
        if (b === undefined) continue;
        const h = s.history.get(symbol);
        if (h === undefined || historyLength(h) < b.warmup_bars) continue;
        const pair = book.pairs[symbol] as PairSpec;
        const memKey = `${b.key}|${symbol}`;
        const memory = s.memory[memKey] ?? null;
        const qtyHeld = positionQty(s.ledger, symbol);
        let avgEntry: Decimal | null = null;
        if (qtyHeld.isPositive()) {
          let basis = Decimal.ZERO;
          for (const l of s.ledger.lots[symbol] ?? []) basis = basis.add(l.price.mul(l.qty));
          avgEntry = basis.div(qtyHeld, pair.pair_decimals + 4, 'half_even');
        }
        const decision = b.skill.evaluate({
          symbol, params: b.params, bars: lastBars(h, b.warmup_bars),
          position_qty: qtyHeld, avg_entry: avgEntry, memory,
          pending_buy: s.orders.some((o) => o.symbol === symbol && o.side === 'buy'),
          pending_sell: s.orders.some((o) => o.symbol === symbol && o.side === 'sell'),
        });
        if (decision.signals.length > SIGNALS_PER_SKILL_TICK_MAX) throw new EngineCommandError(`${b.key} emitted ${decision.signals.length} signals (max ${SIGNALS_PER_SKILL_TICK_MAX})`);
        if (decision.memory !== memory && canonicalJson(decision.memory ?? null) !== canonicalJson(memory)) emit('skill.memory_set', { skill: b.key, symbol, memory: decision.memory as CanonicalValue });
        for (const sig of decision.signals) handleSignal(sig, b, symbol, pair);
      }
    }
    checkInvariants(s);
    return { events: out, state: s };

    function handleSignal(sig: SignalDraft, b: SkillBinding, symbol: string, pair: PairSpec): void {
      const signalId = `S${s.seq.signal + 1}`;
      const indicators: Record<string, string> = {};
      for (const k of Object.keys(sig.indicators).sort()) indicators[k] = numText(sig.indicators[k] as number);
      emit('signal.emitted', {
        signal_id: signalId, skill: b.key, params: b.params_json, symbol, action: sig.action, fraction: sig.fraction ?? null, reason: sig.reason, indicators,
        order: sig.order === undefined ? null : { type: sig.order.type, limit_price: sig.order.limit_price === undefined ? null : numText(sig.order.limit_price), stop_price: sig.order.stop_price === undefined ? null : numText(sig.order.stop_price), expire_bars: sig.order.expire_bars ?? null },
      });
      const close = lastClose(s, symbol) as Decimal;
      const held = positionQty(s.ledger, symbol);
      if (sig.action === 'exit' || sig.action === 'reduce') {
        let qty = held;
        if (sig.action === 'exit') cancelWorking(symbol, 'superseded_by_exit');
        else qty = held.mul(Decimal.parse(sig.fraction ?? '1')).round(pair.lot_decimals, 'down');
        marketSell(symbol, qty, signalId, true);
        return;
      }
      // enter / add: a buy, sized
      const side: Side = 'buy';
      const type = sig.order?.type ?? 'market';
      const toPrice = (x: number | undefined, mode: 'floor' | 'ceil') => (x === undefined ? null : Decimal.parse(x.toFixed(12)).round(pair.pair_decimals, mode));
      const limit = type === 'limit' ? toPrice(sig.order?.limit_price, 'floor') : null;
      const stop = type === 'stop' ? toPrice(sig.order?.stop_price, 'ceil') : null;
      const ref = limit ?? stop ?? close;
      const uc = type === 'limit' ? unitCost(ref, Decimal.ZERO, book.fees.taker_pct) : unitCost(ref, book.execution.slippage_bps, book.fees.taker_pct);
      const sized = sizeEntry(book.sizing, { price: ref, equity: s.equity, lot_decimals: pair.lot_decimals, slippage_bps: type === 'limit' ? Decimal.ZERO : book.execution.slippage_bps, taker_pct: book.fees.taker_pct, atr: sig.indicators.atr ?? null });
      const intentId = `I${s.seq.intent + 1}`;
      if (!sized.ok) {
        emit('intent.created', { intent_id: intentId, signal_id: signalId, symbol, side, order_type: type, qty: '0', limit_price: limit?.toString() ?? null, stop_price: stop?.toString() ?? null, unit_cost: uc.toString(), ref_price: ref.toString(), sizing: sized.detail });
        emit('risk.decided', { intent_id: intentId, gate: 'sizing', outcome: 'deny', qty_requested: '0', qty_allowed: '0', reasons: [{ code: sized.reason, detail: 'sizing produced no quantity' }], tier: s.tier });
        return;
      }
      const intent: OrderIntent = { intent_id: intentId, symbol, side, type, qty: sized.qty, limit_price: limit, stop_price: stop, unit_cost: uc, ref_price: ref };
      submit(intent, signalId, sized.detail, sig.order?.expire_bars ?? book.execution.market_expire_bars, pair, true);
    }
  }

  return {
    decide,
    step,
    evolve: evolveEngine,
    initialState: initialEngineState,
  };
}
