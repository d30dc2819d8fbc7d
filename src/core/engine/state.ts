/**
 * The engine's state and evolve(): plain data folded from the engine's events, and its state hash
 * (sha256 over a canonical encoding with a domain tag). Nothing here decides anything: evolve
 * applies facts that decide() already checked. The event types and their payloads are listed in
 * ./events.ts.
 */
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import { applyLedgerEvent, emptyLedger, type LedgerEvent, type LedgerState } from '../ledger/index.js';
import type { OrderType, Side } from '../execution/fills.js';
import type { Tier } from '../risk/profile.js';
import type { SkillBar, SkillMemory } from '../skills/types.js';
import type { EngineEvent } from './events.js';

export interface WorkingOrder {
  readonly order_id: string;
  readonly intent_id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly qty: Decimal;
  readonly remaining: Decimal;
  readonly limit_price: Decimal | null;
  readonly stop_price: Decimal | null;
  readonly triggered: boolean;
  /** All-in unit cost reserved per unit for buys; reference price for exposure. */
  readonly unit_cost: Decimal;
  readonly ref_price: Decimal;
  readonly expire_bars: number;
  /** Bars of its symbol seen since it was placed (it may fill on each). */
  readonly bars_seen: number;
  readonly placed_ms: number;
}

/**
 * A symbol's bar window: the view [start, end) of append-only backing arrays. Appending at the
 * tip pushes in place (states that end earlier never see it: their `end` bounds their view);
 * appending behind the tip copies. So evolve stays pure and amortized O(1) per bar.
 */
export interface History {
  readonly candles: Candle[];
  readonly bars: SkillBar[];
  readonly start: number;
  readonly end: number;
}

export function historyCandles(h: History | undefined): readonly Candle[] {
  return h === undefined ? [] : h.candles.slice(h.start, h.end);
}
export function historyLength(h: History | undefined): number {
  return h === undefined ? 0 : h.end - h.start;
}
export function lastCandle(h: History | undefined): Candle | undefined {
  return h === undefined || h.end === h.start ? undefined : h.candles[h.end - 1];
}
/** The last n bars (n <= length). */
export function lastBars(h: History, n: number): SkillBar[] {
  return h.bars.slice(h.end - n, h.end);
}

function appendBar(h: History | undefined, c: Candle, bar: SkillBar, window: number): History {
  let candles: Candle[];
  let bars: SkillBar[];
  let start: number;
  let end: number;
  if (h !== undefined && h.candles.length === h.end && h.start < 4 * window) {
    candles = h.candles;
    bars = h.bars;
    start = h.start;
    end = h.end;
  } else {
    const from = h === undefined ? 0 : Math.max(h.start, h.end - window);
    candles = h === undefined ? [] : h.candles.slice(from, h.end);
    bars = h === undefined ? [] : h.bars.slice(from, h.end);
    start = 0;
    end = candles.length;
  }
  candles.push(c);
  bars.push(bar);
  end += 1;
  if (end - start > window) start = end - window;
  return { candles, bars, start, end };
}

export interface EngineState {
  readonly started: boolean;
  readonly book_id: string;
  readonly config_hash: string;
  readonly time_ms: number;
  readonly window_bars: Readonly<Record<string, number>>;
  readonly history: ReadonlyMap<string, History>;
  readonly ledger: LedgerState;
  /** Quantity held per symbol as the execution side sees it (sum of fills); must equal the ledger's lots. */
  readonly positions: Readonly<Record<string, Decimal>>;
  /** Working orders in placement order. */
  readonly orders: readonly WorkingOrder[];
  readonly memory: Readonly<Record<string, SkillMemory>>;
  readonly equity: Decimal;
  readonly peak_equity: Decimal;
  readonly tier: Tier;
  readonly cooldown_until_ms: number;
  readonly paused: boolean;
  readonly seq: { readonly signal: number; readonly intent: number; readonly order: number; readonly fill: number };
  readonly bars: number;
  readonly fills: number;
}

export function initialEngineState(): EngineState {
  return {
    started: false, book_id: '', config_hash: '', time_ms: 0, window_bars: {}, history: new Map(), ledger: emptyLedger(), positions: {}, orders: [],
    memory: {}, equity: Decimal.ZERO, peak_equity: Decimal.ZERO, tier: 'normal', cooldown_until_ms: 0, paused: false,
    seq: { signal: 0, intent: 0, order: 0, fill: 0 }, bars: 0, fills: 0,
  };
}

function candleFromPayload(p: Record<string, CanonicalValue>): Candle {
  return {
    symbol: p.symbol as string, interval_s: p.interval_s as number, open_time_ms: p.open_time_ms as number,
    open: Decimal.parse(p.open as string), high: Decimal.parse(p.high as string), low: Decimal.parse(p.low as string),
    close: Decimal.parse(p.close as string), volume: Decimal.parse(p.volume as string), vwap: null, count: p.count as number,
  };
}

const dnull = (v: CanonicalValue | undefined): Decimal | null => (typeof v === 'string' ? Decimal.parse(v) : null);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A fresh copy with every field listed (one object shape: cheaper than spreading in the hot path). */
function clone(s: EngineState): Mutable<EngineState> {
  return {
    started: s.started, book_id: s.book_id, config_hash: s.config_hash, time_ms: s.time_ms, window_bars: s.window_bars, history: s.history,
    ledger: s.ledger, positions: s.positions, orders: s.orders, memory: s.memory, equity: s.equity, peak_equity: s.peak_equity, tier: s.tier,
    cooldown_until_ms: s.cooldown_until_ms, paused: s.paused, seq: s.seq, bars: s.bars, fills: s.fills,
  };
}

/** clone(s) with a few fields replaced. */
function put<K extends keyof EngineState>(s: EngineState, patch: Pick<EngineState, K>): EngineState {
  return Object.assign(clone(s), patch);
}

export function evolveEngine(s: EngineState, e: EngineEvent): EngineState {
  const p = e.payload as Record<string, CanonicalValue>;
  switch (e.type) {
    case 'book.started':
      return put(s, { started: true, book_id: p.book_id as string, config_hash: p.config_hash as string, window_bars: p.window_bars as Record<string, number>, time_ms: e.time_ms });
    case 'bar.closed': {
      const c = candleFromPayload(p);
      // the payload strings are the canonical decimal text, so Number() of them equals Decimal.toNumber()
      const bar: SkillBar = { open_time_ms: c.open_time_ms, open: Number(p.open), high: Number(p.high), low: Number(p.low), close: Number(p.close), volume: Number(p.volume) };
      const history = new Map(s.history);
      history.set(c.symbol, appendBar(s.history.get(c.symbol), c, bar, s.window_bars[c.symbol] ?? 2));
      let orders = s.orders;
      for (const o of s.orders) {
        if (o.symbol === c.symbol) {
          orders = s.orders.map((x) => (x.symbol === c.symbol ? { ...x, bars_seen: x.bars_seen + 1 } : x));
          break;
        }
      }
      return put(s, { time_ms: e.time_ms, history, orders, bars: s.bars + 1 });
    }
    case 'signal.emitted':
      return put(s, { seq: { ...s.seq, signal: s.seq.signal + 1 } });
    case 'intent.created':
      return put(s, { seq: { ...s.seq, intent: s.seq.intent + 1 } });
    case 'skill.memory_set':
      return put(s, { memory: { ...s.memory, [`${p.skill as string}|${p.symbol as string}`]: p.memory as SkillMemory } });
    case 'order.placed': {
      const qty = Decimal.parse(p.qty as string);
      const o: WorkingOrder = {
        order_id: p.order_id as string, intent_id: p.intent_id as string, symbol: p.symbol as string, side: p.side as Side, type: p.order_type as OrderType,
        qty, remaining: qty, limit_price: dnull(p.limit_price), stop_price: dnull(p.stop_price), triggered: false,
        unit_cost: Decimal.parse(p.unit_cost as string), ref_price: Decimal.parse(p.ref_price as string), expire_bars: p.expire_bars as number, bars_seen: 0, placed_ms: e.time_ms,
      };
      return put(s, { orders: [...s.orders, o], seq: { ...s.seq, order: s.seq.order + 1 } });
    }
    case 'order.triggered':
      return put(s, { orders: s.orders.map((o) => (o.order_id === p.order_id ? { ...o, triggered: true } : o)) });
    case 'fill.executed': {
      const qty = Decimal.parse(p.qty as string);
      const sym = p.symbol as string;
      const held = s.positions[sym] ?? Decimal.ZERO;
      const now = p.side === 'buy' ? held.add(qty) : held.sub(qty);
      const positions = { ...s.positions };
      if (now.isZero()) delete positions[sym];
      else positions[sym] = now;
      return put(s, {
        positions, fills: s.fills + 1, seq: { ...s.seq, fill: s.seq.fill + 1 },
        orders: s.orders.map((o) => (o.order_id === p.order_id ? { ...o, remaining: o.remaining.sub(qty) } : o)),
      });
    }
    case 'order.closed':
      return put(s, { orders: s.orders.filter((o) => o.order_id !== p.order_id) });
    case 'cash.posted':
    case 'lot.opened':
    case 'lot.consumed':
    case 'trade.closed':
      return put(s, { ledger: applyLedgerEvent(s.ledger, e as unknown as LedgerEvent) });
    case 'mark.recorded':
      return put(s, { equity: Decimal.parse(p.equity as string), peak_equity: Decimal.parse(p.peak_equity as string) });
    case 'risk.tier_changed':
      return put(s, { tier: p.to as Tier });
    case 'risk.cooldown_started':
      return put(s, { cooldown_until_ms: p.until_ms as number });
    case 'book.paused':
      return put(s, { paused: true });
    case 'book.resumed':
      return put(s, { paused: false, peak_equity: p.rebased_peak === undefined ? s.peak_equity : Decimal.parse(p.rebased_peak as string) });
    default:
      return s; // risk.decided and other records change no state
  }
}

export const ENGINE_STATE_VERSION = 1;
export const ENGINE_STATE_DOMAIN_TAG: Uint8Array = new TextEncoder().encode('warden.engine.state.v1\u0000');

const ds = (d: Decimal | null): string | null => (d === null ? null : d.toString());

/** The canonical form of the state (everything that influences future decisions). */
export function engineStateCanonical(s: EngineState): CanonicalValue {
  const history: Record<string, CanonicalValue> = {};
  const intervals: Record<string, CanonicalValue> = {};
  for (const k of [...s.history.keys()].sort()) {
    intervals[k] = lastCandle(s.history.get(k))?.interval_s ?? 0;
    history[k] = historyCandles(s.history.get(k)).map((c) => [c.open_time_ms, c.open.toString(), c.high.toString(), c.low.toString(), c.close.toString(), c.volume.toString(), c.count]);
  }
  const lots: Record<string, CanonicalValue> = {};
  for (const [k, v] of Object.entries(s.ledger.lots)) lots[k] = v.map((l) => ({ lot_id: l.lot_id, qty: l.qty.toString(), price: l.price.toString(), fee: l.fee.toString(), opened_ms: l.opened_ms }));
  const campaigns: Record<string, CanonicalValue> = {};
  for (const [k, c] of Object.entries(s.ledger.campaigns)) campaigns[k] = { trade_id: c.trade_id, opened_ms: c.opened_ms, qty_bought: c.qty_bought.toString(), realized: c.realized.toString(), fees: c.fees.toString() };
  const L = s.ledger;
  const positions: Record<string, CanonicalValue> = {};
  for (const k of Object.keys(s.positions).sort()) positions[k] = (s.positions[k] as Decimal).toString();
  return {
    v: ENGINE_STATE_VERSION, positions, started: s.started, book_id: s.book_id, config_hash: s.config_hash, time_ms: s.time_ms, window_bars: s.window_bars, history, interval_s: intervals,
    ledger: {
      cash: L.cash.toString(), deposits: L.deposits.toString(), lots, campaigns, realized_total: L.realized_total.toString(), fees_total: L.fees_total.toString(),
      trades_closed: L.trades_closed, next_line: L.next_line, next_lot: L.next_lot, next_trade: L.next_trade,
    },
    orders: s.orders.map((o) => ({
      order_id: o.order_id, intent_id: o.intent_id, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty.toString(), remaining: o.remaining.toString(),
      limit_price: ds(o.limit_price), stop_price: ds(o.stop_price), triggered: o.triggered, unit_cost: o.unit_cost.toString(), ref_price: o.ref_price.toString(),
      expire_bars: o.expire_bars, bars_seen: o.bars_seen, placed_ms: o.placed_ms,
    })),
    memory: s.memory, equity: s.equity.toString(), peak_equity: s.peak_equity.toString(), tier: s.tier, cooldown_until_ms: s.cooldown_until_ms,
    paused: s.paused, seq: s.seq, bars: s.bars, fills: s.fills,
  };
}

export function engineStateHash(s: EngineState): string {
  return toHex(sha256(ENGINE_STATE_DOMAIN_TAG, canonicalBytes(engineStateCanonical(s))));
}
