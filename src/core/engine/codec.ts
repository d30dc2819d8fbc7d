/**
 * The engine state's codec for snapshots: encode = engineStateCanonical (canonical JSON, amounts as
 * decimal strings), decode = its inverse, validating as it goes and naming the first bad field.
 * decode(encode(s)) has the same state hash as s, and a runtime restored from it decides exactly
 * as the original would (codec.unit.test.ts). Structurally the runtime's StateCodec<S>.
 */
import type { CanonicalValue } from '../canonical/index.js';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import type { Campaign, LedgerState, Lot } from '../ledger/index.js';
import { TIERS, type Tier } from '../risk/profile.js';
import type { SkillMemory } from '../skills/types.js';
import { engineStateCanonical, ENGINE_STATE_VERSION, type EngineState, type History, type WorkingOrder } from './state.js';

export class EngineStateCodecError extends Error {
  override readonly name = 'EngineStateCodecError';
}

type Obj = { readonly [k: string]: CanonicalValue };

function obj(v: CanonicalValue | undefined, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EngineStateCodecError(`${at}: expected an object`);
  return v as Obj;
}
function arr(v: CanonicalValue | undefined, at: string): readonly CanonicalValue[] {
  if (!Array.isArray(v)) throw new EngineStateCodecError(`${at}: expected an array`);
  return v;
}
function int(v: CanonicalValue | undefined, at: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new EngineStateCodecError(`${at}: expected an integer`);
  return v;
}
function str(v: CanonicalValue | undefined, at: string): string {
  if (typeof v !== 'string') throw new EngineStateCodecError(`${at}: expected a string`);
  return v;
}
function bool(v: CanonicalValue | undefined, at: string): boolean {
  if (typeof v !== 'boolean') throw new EngineStateCodecError(`${at}: expected a boolean`);
  return v;
}
function dec(v: CanonicalValue | undefined, at: string): Decimal {
  return Decimal.parse(str(v, at), at);
}
function decOrNull(v: CanonicalValue | undefined, at: string): Decimal | null {
  return v === null ? null : dec(v, at);
}

function decodeHistory(symbol: string, rows: readonly CanonicalValue[], intervalOf: (s: string) => number): History {
  const candles: Candle[] = [];
  const bars = [];
  for (const [i, r] of rows.entries()) {
    const at = `history.${symbol}[${i}]`;
    const a = arr(r, at);
    const c: Candle = {
      symbol, interval_s: intervalOf(symbol), open_time_ms: int(a[0], `${at}[0]`), open: dec(a[1], `${at}.open`), high: dec(a[2], `${at}.high`),
      low: dec(a[3], `${at}.low`), close: dec(a[4], `${at}.close`), volume: dec(a[5], `${at}.volume`), vwap: null, count: int(a[6], `${at}.count`),
    };
    candles.push(c);
    bars.push({ open_time_ms: c.open_time_ms, open: Number(a[1]), high: Number(a[2]), low: Number(a[3]), close: Number(a[4]), volume: Number(a[5]) });
  }
  return { candles, bars, start: 0, end: candles.length };
}

export function decodeEngineState(value: CanonicalValue): EngineState {
  const v = obj(value, 'state');
  if (v.v !== ENGINE_STATE_VERSION) throw new EngineStateCodecError(`state.v: expected ${ENGINE_STATE_VERSION}, got ${JSON.stringify(v.v)}`);
  const intervals = obj(v.interval_s, 'interval_s');
  const history = new Map<string, History>();
  const h = obj(v.history, 'history');
  for (const symbol of Object.keys(h).sort()) history.set(symbol, decodeHistory(symbol, arr(h[symbol], `history.${symbol}`), (s) => int(intervals[s], `interval_s.${s}`)));
  const L = obj(v.ledger, 'ledger');
  const lots: Record<string, readonly Lot[]> = {};
  for (const [symbol, list] of Object.entries(obj(L.lots, 'ledger.lots'))) {
    lots[symbol] = arr(list, `ledger.lots.${symbol}`).map((x, i) => {
      const l = obj(x, `ledger.lots.${symbol}[${i}]`);
      const at = `ledger.lots.${symbol}[${i}]`;
      return { lot_id: str(l.lot_id, `${at}.lot_id`), qty: dec(l.qty, `${at}.qty`), price: dec(l.price, `${at}.price`), fee: dec(l.fee, `${at}.fee`), opened_ms: int(l.opened_ms, `${at}.opened_ms`) };
    });
  }
  const campaigns: Record<string, Campaign> = {};
  for (const [symbol, x] of Object.entries(obj(L.campaigns, 'ledger.campaigns'))) {
    const c = obj(x, `ledger.campaigns.${symbol}`);
    const at = `ledger.campaigns.${symbol}`;
    campaigns[symbol] = { trade_id: str(c.trade_id, `${at}.trade_id`), opened_ms: int(c.opened_ms, `${at}.opened_ms`), qty_bought: dec(c.qty_bought, `${at}.qty_bought`), realized: dec(c.realized, `${at}.realized`), fees: dec(c.fees, `${at}.fees`) };
  }
  const ledger: LedgerState = {
    cash: dec(L.cash, 'ledger.cash'), deposits: dec(L.deposits, 'ledger.deposits'), lots, campaigns, realized_total: dec(L.realized_total, 'ledger.realized_total'),
    fees_total: dec(L.fees_total, 'ledger.fees_total'), trades_closed: int(L.trades_closed, 'ledger.trades_closed'), next_line: int(L.next_line, 'ledger.next_line'),
    next_lot: int(L.next_lot, 'ledger.next_lot'), next_trade: int(L.next_trade, 'ledger.next_trade'),
  };
  const orders: WorkingOrder[] = arr(v.orders, 'orders').map((x, i) => {
    const o = obj(x, `orders[${i}]`);
    const at = `orders[${i}]`;
    const side = str(o.side, `${at}.side`);
    const type = str(o.type, `${at}.type`);
    if (side !== 'buy' && side !== 'sell') throw new EngineStateCodecError(`${at}.side: ${side}`);
    if (type !== 'market' && type !== 'limit' && type !== 'stop') throw new EngineStateCodecError(`${at}.type: ${type}`);
    return {
      order_id: str(o.order_id, `${at}.order_id`), intent_id: str(o.intent_id, `${at}.intent_id`), symbol: str(o.symbol, `${at}.symbol`), side, type,
      qty: dec(o.qty, `${at}.qty`), remaining: dec(o.remaining, `${at}.remaining`), limit_price: decOrNull(o.limit_price, `${at}.limit_price`),
      stop_price: decOrNull(o.stop_price, `${at}.stop_price`), triggered: bool(o.triggered, `${at}.triggered`), unit_cost: dec(o.unit_cost, `${at}.unit_cost`),
      ref_price: dec(o.ref_price, `${at}.ref_price`), expire_bars: int(o.expire_bars, `${at}.expire_bars`), bars_seen: int(o.bars_seen, `${at}.bars_seen`), placed_ms: int(o.placed_ms, `${at}.placed_ms`),
    };
  });
  const positions: Record<string, Decimal> = {};
  for (const [k, q] of Object.entries(obj(v.positions, 'positions'))) positions[k] = dec(q, `positions.${k}`);
  const tier = str(v.tier, 'tier');
  if (!(TIERS as readonly string[]).includes(tier)) throw new EngineStateCodecError(`tier: ${tier}`);
  const seq = obj(v.seq, 'seq');
  const windows: Record<string, number> = {};
  for (const [k, n] of Object.entries(obj(v.window_bars, 'window_bars'))) windows[k] = int(n, `window_bars.${k}`);
  return {
    started: bool(v.started, 'started'), book_id: str(v.book_id, 'book_id'), config_hash: str(v.config_hash, 'config_hash'), time_ms: int(v.time_ms, 'time_ms'),
    window_bars: windows, history, ledger, positions, orders, memory: obj(v.memory, 'memory') as Record<string, SkillMemory>,
    equity: dec(v.equity, 'equity'), peak_equity: dec(v.peak_equity, 'peak_equity'), tier: tier as Tier, cooldown_until_ms: int(v.cooldown_until_ms, 'cooldown_until_ms'),
    paused: bool(v.paused, 'paused'), seq: { signal: int(seq.signal, 'seq.signal'), intent: int(seq.intent, 'seq.intent'), order: int(seq.order, 'seq.order'), fill: int(seq.fill, 'seq.fill') },
    bars: int(v.bars, 'bars'), fills: int(v.fills, 'fills'),
  };
}

export const engineStateCodec = {
  name: `engine.v${ENGINE_STATE_VERSION}`,
  encode: (s: EngineState): CanonicalValue => engineStateCanonical(s),
  decode: decodeEngineState,
} as const;
