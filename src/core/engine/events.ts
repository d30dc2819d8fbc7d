/**
 * The engine's commands and event types: the SAME ones the backtest and the paper runtime use.
 *
 * Commands: `start` (open the book with its config), `bar_closed` (the candles that closed at
 * time_ms, at most one per symbol), and operator commands `pause`, `resume`, `flatten`.
 * Events (time_ms = the bar close or the operator command's recorded time), in the order a tick
 * emits them:
 *   book.started        {book_id, config_hash, initial_cash, window_bars}
 *   bar.closed          {symbol, interval_s, open_time_ms, open, high, low, close, volume, count}  (the input, recorded)
 *   order.triggered     {order_id, symbol, stop_price, bar_open_time_ms}
 *   fill.executed       {fill_id, order_id, symbol, side, qty, price, cost, fee, fee_pct, liquidity, bar_open_time_ms, remaining, clamp}
 *   cash.posted | lot.opened | lot.consumed | trade.closed   (ledger, see core/ledger)
 *   order.closed        {order_id, status: filled|expired|canceled, filled_qty, reason}
 *   risk.cooldown_started {until_ms, trade_id, loss_pct}
 *   mark.recorded       {cash, positions[{symbol, qty, close, value}], equity, exposure_pct, peak_equity, drawdown_pct, tier}
 *   risk.tier_changed   {from, to, drawdown_pct}
 *   skill.memory_set    {skill, symbol, memory}
 *   signal.emitted      {signal_id, skill, params, symbol, action, fraction, reason, indicators, order}
 *   intent.created      {intent_id, signal_id, symbol, side, order_type, qty, limit_price, stop_price, unit_cost, ref_price, sizing}
 *   risk.decided        {intent_id, gate, outcome: allow|resize|deny, qty_requested, qty_allowed, reasons[{code, detail}], tier}
 *   order.placed        {order_id, intent_id, symbol, side, order_type, qty, limit_price, stop_price, unit_cost, ref_price, expire_bars}
 *   book.paused | book.resumed {reason, rebased_peak?}
 * Amounts are decimal strings; indicator floats are shortest round-trip text.
 */
import type { Candle } from '../market/candle.js';
import type { NewEvent } from '../events/envelope.js';
import type { CanonicalValue } from '../canonical/index.js';

export type EngineCommand =
  | { readonly type: 'start'; readonly time_ms: number }
  | { readonly type: 'bar_closed'; readonly time_ms: number; readonly candles: readonly Candle[] }
  | { readonly type: 'pause'; readonly time_ms: number; readonly reason: string }
  | { readonly type: 'resume'; readonly time_ms: number; readonly reason: string; readonly rebase_peak: boolean }
  | { readonly type: 'flatten'; readonly time_ms: number; readonly reason: string; readonly symbols: readonly string[] | null };

export const ENGINE_EVENT_TYPES = [
  'book.started', 'bar.closed', 'order.triggered', 'fill.executed', 'cash.posted', 'lot.opened', 'lot.consumed', 'trade.closed',
  'order.closed', 'risk.cooldown_started', 'mark.recorded', 'risk.tier_changed', 'skill.memory_set', 'signal.emitted',
  'intent.created', 'risk.decided', 'order.placed', 'book.paused', 'book.resumed',
] as const;
export type EngineEventType = (typeof ENGINE_EVENT_TYPES)[number];

export type EngineEvent = NewEvent<EngineEventType, CanonicalValue>;

export class EngineCommandError extends Error {
  override readonly name = 'EngineCommandError';
}
