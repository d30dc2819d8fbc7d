/**
 * The ONE state of a book: who it is and whether it runs (book.opened, runtime and operator
 * events) and what it trades (book.started onward: bar history, ledger, working orders, skill
 * memory, equity and risk tier). One status (UNOPENED | ACTIVE | PAUSED), one canonical encoding
 * (snapshots), one state hash: a runtime and a backtest fed the same commands print the same hash.
 *
 * The state is mutable on purpose: evolve (./evolve.ts) applies an event in place and returns the
 * same object, so a tick costs what it changes, not a copy of the book. Whoever passes a state to
 * evolve or step gives it up (linear use); cloneState makes an independent copy (decide() uses it
 * so that deciding never changes the caller's state). The bar history keeps at most twice the
 * window per symbol and is trimmed in place.
 */
import { canonicalBytes, type CanonicalValue } from '../canonical/index.js';
import { sha256, toHex } from '../canonical/hash.js';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import { emptyLedger, type Campaign, type LedgerState, type Lot } from '../ledger/index.js';
import type { OrderType, Side } from '../execution/fills.js';
import { TIERS, resolveRiskProfile, riskOverridesSchema, type RiskProfile, type Tier } from '../risk/profile.js';
import { riskGate, type IntentGate } from '../risk/gate.js';
import type { SkillBar, SkillMemory } from '../skills/types.js';
import { BOOK_STATUSES, EXECUTION_PLANES, SKILL_STATES, type BookStatus, type ExecutionPlane, type SkillState } from './events.js';
import { DIRECTIVE_STATUSES, VERDICTS, resolvePolicy, type Directive, type DirectiveStatus, type ResolvedPolicy, type Verdict } from '../governance/index.js';
import { CODECS } from './codecs.js';

import { BOOK_ID_RE } from './limits.js';

export { BOOK_ID_RE };

export interface WorkingOrder {
  readonly order_id: string;
  readonly intent_id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly qty: Decimal;
  remaining: Decimal;
  readonly limit_price: Decimal | null;
  readonly stop_price: Decimal | null;
  triggered: boolean;
  /** All-in unit cost reserved per unit for buys; reference price for exposure. */
  readonly unit_cost: Decimal;
  readonly ref_price: Decimal;
  readonly expire_bars: number;
  /** Bars of its symbol seen since it was placed (it may fill on each). */
  bars_seen: number;
  readonly placed_ms: number;
}

/** A symbol's recent bars, oldest first: candles (exact) and the same bars as floats (for skills). */
export interface History {
  readonly candles: Candle[];
  readonly bars: SkillBar[];
  /**
   * closes[i] = bars[i].close for i < bars.length, zeros after: a skill's window of closes is a
   * subarray view of this column instead of a slice + map copy per tick.
   */
  closes: Float64Array;
}

/**
 * An empty history for a symbol kept `window` bars deep. The close column's content is a function
 * of the bars and the window alone (capacity 2 * window + 1, zeros past the bars), so a folded and
 * a decoded state with the same bars compare equal.
 */
export function newHistory(window: number): History {
  return { candles: [], bars: [], closes: new Float64Array(2 * window + 1) };
}

/** Appends a candle (and its float bar and close); past 2 * window bars, trims to the newest window, in place. */
export function pushBar(h: History, c: Candle, window: number): void {
  const bar = skillBarOf(c);
  let n = h.bars.length;
  if (n === h.closes.length) {
    const grown = new Float64Array(Math.max(2 * window + 1, 2 * n)); // only a history decoded with more than 2 * window bars
    grown.set(h.closes);
    h.closes = grown;
  }
  h.candles.push(c);
  h.bars.push(bar);
  h.closes[n++] = bar.close;
  if (n > 2 * window) {
    const cut = n - window;
    h.candles.splice(0, cut);
    h.bars.splice(0, cut);
    h.closes.copyWithin(0, cut, n).fill(0, window, n);
  }
}

/** A directive not yet final: waiting for approval (proposed), or in flight inside the step that carries it out. */
export interface OpenDirective {
  readonly directive: Directive;
  status: DirectiveStatus;
  /** The policy's verdict at proposal (null before policy.evaluated). */
  verdict: Verdict | null;
  /** Orders: the quantity the policy's risk rules allowed at proposal. */
  qty_allowed: Decimal | null;
}

/** A risk profile in force by directive: the name and overrides as recorded, resolved once, with its gate. */
export interface RiskOverride {
  readonly profile: string;
  readonly overrides: CanonicalValue;
  readonly resolved: RiskProfile;
  readonly gate: IntentGate;
}

/** Resolves a recorded profile change (the payload was checked when proposed). */
export function riskOverrideOf(profile: string, overrides: CanonicalValue): RiskOverride {
  const o = riskOverridesSchema.parse(overrides);
  const resolved = resolveRiskProfile(profile, o);
  return { profile, overrides, resolved, gate: riskGate(resolved) };
}

export interface BookCounts {
  events: number;
  starts: number;
  stops: number;
  commands_applied: number;
  commands_rejected: number;
}

export interface BookState {
  book_id: string | null;
  execution_plane: ExecutionPlane | null;
  status: BookStatus;
  /** The highest inbox id this book has answered (applied or rejected): commands are idempotent. */
  last_inbox_id: number;
  /** True between runtime.started and runtime.stopped; true at restore means the last run crashed. */
  running: boolean;
  counts: BookCounts;
  /** True once book.started (the trading book's first tick) is recorded. */
  started: boolean;
  config_hash: string;
  /** Market time: the last tick's close (the start time before the first tick). */
  time_ms: number;
  window_bars: Record<string, number>;
  history: Map<string, History>;
  ledger: LedgerState;
  /** Quantity held per symbol as the execution side sees it (sum of fills); must equal the ledger's lots. */
  positions: Map<string, Decimal>;
  /** Working orders in placement order. */
  orders: WorkingOrder[];
  memory: Map<string, SkillMemory>;
  equity: Decimal;
  peak_equity: Decimal;
  tier: Tier;
  cooldown_until_ms: number;
  /** The policy directives are evaluated with (null until the trading book starts). */
  policy: ResolvedPolicy | null;
  /**
   * Directives not yet final, by id, in proposal order (waiting ones are bounded by OPEN_DIRECTIVES_MAX),
   * and blocked ones an operator may still retry (blocked -> proposed): until their timebox ends, at
   * most BLOCKED_RETAINED_MAX (the oldest is dropped first).
   */
  directives: Map<string, OpenDirective>;
  /** Notional committed by executed risk-increasing directives in the UTC day `day` (days since the epoch). */
  budget_day: { day: number; used: Decimal };
  /** Skills not ACTIVE (REGISTERED, DEPRECATED, REMOVED, QUARANTINED: core/governance/skill-lifecycle.ts), by "skill@v"; a skill not here is ACTIVE. */
  skill_states: Map<string, SkillState>;
  /** True once an approved epoch.auto.enable directive ran. */
  epoch_auto: boolean;
  /**
   * The truth epoch TE (ms, a tick close): with truth epochs on, the runtime evaluates a tick T only
   * when T <= TE; null until the first epoch.advanced. Encoded only when set, so the state of a book
   * that never advanced an epoch (every book before [F7]) keeps its hash.
   */
  truth_epoch_ms: number | null;
  /** The risk profile an approved risk.profile.change put in force (null: the book config's). */
  risk_override: RiskOverride | null;
  seq: { signal: number; intent: number; order: number; fill: number; directive: number; run: number };
  /** Bars recorded (bar.closed events) and ticks processed. */
  bars: number;
  ticks: number;
  fills: number;
}

export function initialBookState(): BookState {
  return {
    book_id: null, execution_plane: null, status: 'UNOPENED', last_inbox_id: 0, running: false,
    counts: { events: 0, starts: 0, stops: 0, commands_applied: 0, commands_rejected: 0 },
    started: false, config_hash: '', time_ms: 0, window_bars: {}, history: new Map(), ledger: emptyLedger(), positions: new Map(), orders: [],
    memory: new Map(), equity: Decimal.ZERO, peak_equity: Decimal.ZERO, tier: 'normal', cooldown_until_ms: 0,
    policy: null, directives: new Map(), budget_day: { day: 0, used: Decimal.ZERO }, skill_states: new Map(), epoch_auto: false, truth_epoch_ms: null, risk_override: null,
    seq: { signal: 0, intent: 0, order: 0, fill: 0, directive: 0, run: 0 }, bars: 0, ticks: 0, fills: 0,
  };
}

/** An independent copy (Decimals and candles are immutable and shared). */
export function cloneState(s: BookState): BookState {
  const history = new Map<string, History>();
  for (const [k, h] of s.history) history.set(k, { candles: h.candles.slice(), bars: h.bars.slice(), closes: h.closes.slice() });
  return {
    ...s, counts: { ...s.counts }, window_bars: { ...s.window_bars }, history, positions: new Map(s.positions),
    orders: s.orders.map((o) => ({ ...o })), memory: new Map(s.memory), seq: { ...s.seq },
    directives: new Map([...s.directives].map(([k, d]) => [k, { ...d }])), budget_day: { ...s.budget_day }, skill_states: new Map(s.skill_states),
  };
}

export function lastCandle(s: BookState, symbol: string): Candle | undefined {
  const h = s.history.get(symbol);
  return h === undefined ? undefined : h.candles[h.candles.length - 1];
}

/** The newest `window` candles of a symbol (what the state's hash and snapshot cover). */
export function windowCandles(s: BookState, symbol: string): readonly Candle[] {
  const h = s.history.get(symbol);
  if (h === undefined) return [];
  const n = s.window_bars[symbol] ?? 2;
  return h.candles.length <= n ? h.candles : h.candles.slice(h.candles.length - n);
}

export const BOOK_STATE_VERSION = 3;
export const BOOK_STATE_DOMAIN_TAG: Uint8Array = new TextEncoder().encode('warden.book.state.v3\u0000');

const directiveCodec = CODECS['directive.proposed'];

const ds = (d: Decimal | null): string | null => (d === null ? null : d.toString());
const sortedKeys = <V>(m: ReadonlyMap<string, V>): string[] => [...m.keys()].sort();

/** The canonical form of the state: everything that influences future decisions. */
export function encodeState(s: BookState): CanonicalValue {
  const history: Record<string, CanonicalValue> = {};
  const intervals: Record<string, CanonicalValue> = {};
  for (const k of sortedKeys(s.history)) {
    const candles = windowCandles(s, k);
    intervals[k] = candles[candles.length - 1]?.interval_s ?? 0;
    history[k] = candles.map((c) => [c.open_time_ms, c.open.toString(), c.high.toString(), c.low.toString(), c.close.toString(), c.volume.toString(), c.count]);
  }
  const lots: Record<string, CanonicalValue> = {};
  for (const [k, v] of Object.entries(s.ledger.lots)) lots[k] = v.map((l) => ({ lot_id: l.lot_id, qty: l.qty.toString(), price: l.price.toString(), fee: l.fee.toString(), opened_ms: l.opened_ms }));
  const campaigns: Record<string, CanonicalValue> = {};
  for (const [k, c] of Object.entries(s.ledger.campaigns)) campaigns[k] = { trade_id: c.trade_id, opened_ms: c.opened_ms, qty_bought: c.qty_bought.toString(), realized: c.realized.toString(), fees: c.fees.toString() };
  const L = s.ledger;
  const positions: Record<string, CanonicalValue> = {};
  for (const k of sortedKeys(s.positions)) positions[k] = (s.positions.get(k) as Decimal).toString();
  const memory: Record<string, CanonicalValue> = {};
  for (const k of sortedKeys(s.memory)) memory[k] = s.memory.get(k) as CanonicalValue;
  const skill_states: Record<string, CanonicalValue> = {};
  for (const k of sortedKeys(s.skill_states)) skill_states[k] = s.skill_states.get(k) as string;
  const directives: CanonicalValue[] = [];
  for (const d of s.directives.values()) {
    directives.push({ directive: (directiveCodec.encode({ directive: d.directive }) as { directive: CanonicalValue }).directive, status: d.status, verdict: d.verdict, qty_allowed: ds(d.qty_allowed) });
  }
  return {
    v: BOOK_STATE_VERSION, book_id: s.book_id, execution_plane: s.execution_plane, status: s.status, last_inbox_id: s.last_inbox_id, running: s.running,
    counts: { ...s.counts }, started: s.started, config_hash: s.config_hash, time_ms: s.time_ms, window_bars: s.window_bars, history, interval_s: intervals,
    ledger: {
      cash: L.cash.toString(), deposits: L.deposits.toString(), lots, campaigns, realized_total: L.realized_total.toString(), fees_total: L.fees_total.toString(),
      trades_closed: L.trades_closed, next_line: L.next_line, next_lot: L.next_lot, next_trade: L.next_trade,
    },
    positions,
    orders: s.orders.map((o) => ({
      order_id: o.order_id, intent_id: o.intent_id, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty.toString(), remaining: o.remaining.toString(),
      limit_price: ds(o.limit_price), stop_price: ds(o.stop_price), triggered: o.triggered, unit_cost: o.unit_cost.toString(), ref_price: o.ref_price.toString(),
      expire_bars: o.expire_bars, bars_seen: o.bars_seen, placed_ms: o.placed_ms,
    })),
    memory, equity: s.equity.toString(), peak_equity: s.peak_equity.toString(), tier: s.tier, cooldown_until_ms: s.cooldown_until_ms,
    policy: s.policy === null ? null : s.policy.json, directives, budget_day: { day: s.budget_day.day, used: s.budget_day.used.toString() }, skill_states, epoch_auto: s.epoch_auto,
    risk_override: s.risk_override === null ? null : { profile: s.risk_override.profile, overrides: s.risk_override.overrides },
    seq: { ...s.seq }, bars: s.bars, ticks: s.ticks, fills: s.fills,
    ...(s.truth_epoch_ms === null ? {} : { truth_epoch_ms: s.truth_epoch_ms }),
  };
}

/** sha256(domain tag || canonical bytes of the state), lower-case hex. */
export function stateHash(s: BookState): string {
  return toHex(sha256(BOOK_STATE_DOMAIN_TAG, canonicalBytes(encodeState(s))));
}

// ---- decode (snapshots) ----

export class BookStateError extends Error {
  override readonly name = 'BookStateError';
}

type Obj = { readonly [k: string]: CanonicalValue };
function obj(v: CanonicalValue | undefined, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BookStateError(`state.${at}: expected an object`);
  return v as Obj;
}
function arr(v: CanonicalValue | undefined, at: string): readonly CanonicalValue[] {
  if (!Array.isArray(v)) throw new BookStateError(`state.${at}: expected an array`);
  return v;
}
function int(v: CanonicalValue | undefined, at: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BookStateError(`state.${at}: expected a non-negative integer`);
  return v;
}
function str(v: CanonicalValue | undefined, at: string): string {
  if (typeof v !== 'string') throw new BookStateError(`state.${at}: expected a string`);
  return v;
}
function bool(v: CanonicalValue | undefined, at: string): boolean {
  if (typeof v !== 'boolean') throw new BookStateError(`state.${at}: expected a boolean`);
  return v;
}
function dec(v: CanonicalValue | undefined, at: string): Decimal {
  const text = str(v, at);
  try {
    return Decimal.parse(text, `state.${at}`);
  } catch (e) {
    throw new BookStateError((e as Error).message);
  }
}
function decOrNull(v: CanonicalValue | undefined, at: string): Decimal | null {
  return v === null ? null : dec(v, at);
}
function oneOf<T extends string>(v: CanonicalValue | undefined, values: readonly T[], at: string): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new BookStateError(`state.${at}: expected one of ${values.join(', ')}`);
  return v as T;
}

const STATE_KEYS = Object.keys(encodeState(initialBookState()) as object).sort().join(',');

export function decodeState(value: CanonicalValue): BookState {
  const v = obj(value, '(root)');
  if (v.v !== BOOK_STATE_VERSION) throw new BookStateError(`state: version ${JSON.stringify(v.v)} is not ${BOOK_STATE_VERSION} (another build's book state)`);
  const keys = Object.keys(v).sort().join(',');
  if (keys !== STATE_KEYS) throw new BookStateError(`state: unexpected fields ${keys} (expected ${STATE_KEYS})`);
  const book_id = v.book_id === null ? null : str(v.book_id, 'book_id');
  if (book_id !== null && !BOOK_ID_RE.test(book_id)) throw new BookStateError(`state.book_id: expected null or ${BOOK_ID_RE}`);
  const c = obj(v.counts, 'counts');
  const intervals = obj(v.interval_s, 'interval_s');
  const window_bars: Record<string, number> = {};
  for (const [k, n] of Object.entries(obj(v.window_bars, 'window_bars'))) window_bars[k] = int(n, `window_bars.${k}`);
  const history = new Map<string, History>();
  const h = obj(v.history, 'history');
  for (const symbol of Object.keys(h).sort()) {
    const candles: Candle[] = [];
    const bars: SkillBar[] = [];
    for (const [i, r] of arr(h[symbol], `history.${symbol}`).entries()) {
      const at = `history.${symbol}[${i}]`;
      const a = arr(r, at);
      const candle: Candle = {
        symbol, interval_s: int(intervals[symbol], `interval_s.${symbol}`), open_time_ms: int(a[0], `${at}[0]`), open: dec(a[1], `${at}.open`), high: dec(a[2], `${at}.high`),
        low: dec(a[3], `${at}.low`), close: dec(a[4], `${at}.close`), volume: dec(a[5], `${at}.volume`), vwap: null, count: int(a[6], `${at}.count`),
      };
      candles.push(candle);
      bars.push(skillBarOf(candle));
    }
    const closes = new Float64Array(Math.max(2 * (window_bars[symbol] ?? 2) + 1, bars.length)); // as newHistory + pushBar would
    for (let i = 0; i < bars.length; i++) closes[i] = (bars[i] as SkillBar).close;
    history.set(symbol, { candles, bars, closes });
  }
  const L = obj(v.ledger, 'ledger');
  const lots: Record<string, readonly Lot[]> = {};
  for (const [symbol, list] of Object.entries(obj(L.lots, 'ledger.lots'))) {
    lots[symbol] = arr(list, `ledger.lots.${symbol}`).map((x, i) => {
      const at = `ledger.lots.${symbol}[${i}]`;
      const l = obj(x, at);
      return { lot_id: str(l.lot_id, `${at}.lot_id`), qty: dec(l.qty, `${at}.qty`), price: dec(l.price, `${at}.price`), fee: dec(l.fee, `${at}.fee`), opened_ms: int(l.opened_ms, `${at}.opened_ms`) };
    });
  }
  const campaigns: Record<string, Campaign> = {};
  for (const [symbol, x] of Object.entries(obj(L.campaigns, 'ledger.campaigns'))) {
    const at = `ledger.campaigns.${symbol}`;
    const cp = obj(x, at);
    campaigns[symbol] = { trade_id: str(cp.trade_id, `${at}.trade_id`), opened_ms: int(cp.opened_ms, `${at}.opened_ms`), qty_bought: dec(cp.qty_bought, `${at}.qty_bought`), realized: dec(cp.realized, `${at}.realized`), fees: dec(cp.fees, `${at}.fees`) };
  }
  const ledger: LedgerState = {
    cash: dec(L.cash, 'ledger.cash'), deposits: dec(L.deposits, 'ledger.deposits'), lots, campaigns, realized_total: dec(L.realized_total, 'ledger.realized_total'),
    fees_total: dec(L.fees_total, 'ledger.fees_total'), trades_closed: int(L.trades_closed, 'ledger.trades_closed'), next_line: int(L.next_line, 'ledger.next_line'),
    next_lot: int(L.next_lot, 'ledger.next_lot'), next_trade: int(L.next_trade, 'ledger.next_trade'),
  };
  const orders: WorkingOrder[] = arr(v.orders, 'orders').map((x, i) => {
    const at = `orders[${i}]`;
    const o = obj(x, at);
    return {
      order_id: str(o.order_id, `${at}.order_id`), intent_id: str(o.intent_id, `${at}.intent_id`), symbol: str(o.symbol, `${at}.symbol`),
      side: oneOf(o.side, ['buy', 'sell'] as const, `${at}.side`), type: oneOf(o.type, ['market', 'limit', 'stop'] as const, `${at}.type`),
      qty: dec(o.qty, `${at}.qty`), remaining: dec(o.remaining, `${at}.remaining`), limit_price: decOrNull(o.limit_price, `${at}.limit_price`),
      stop_price: decOrNull(o.stop_price, `${at}.stop_price`), triggered: bool(o.triggered, `${at}.triggered`), unit_cost: dec(o.unit_cost, `${at}.unit_cost`),
      ref_price: dec(o.ref_price, `${at}.ref_price`), expire_bars: int(o.expire_bars, `${at}.expire_bars`), bars_seen: int(o.bars_seen, `${at}.bars_seen`), placed_ms: int(o.placed_ms, `${at}.placed_ms`),
    };
  });
  const positions = new Map<string, Decimal>();
  for (const [k, q] of Object.entries(obj(v.positions, 'positions'))) positions.set(k, dec(q, `positions.${k}`));
  const memory = new Map<string, SkillMemory>();
  for (const [k, m] of Object.entries(obj(v.memory, 'memory'))) memory.set(k, m === null ? null : (obj(m, `memory.${k}`) as SkillMemory));
  const seq = obj(v.seq, 'seq');
  let policy: ResolvedPolicy | null = null;
  if (v.policy !== null) {
    try {
      policy = resolvePolicy(v.policy, 'state.policy');
    } catch (e) {
      throw new BookStateError((e as Error).message);
    }
  }
  const directives = new Map<string, OpenDirective>();
  for (const [i, x] of arr(v.directives, 'directives').entries()) {
    const at = `directives[${i}]`;
    const o = obj(x, at);
    let directive: Directive;
    try {
      directive = directiveCodec.decode({ directive: o.directive as CanonicalValue }, `state.${at}`).directive;
    } catch (e) {
      throw new BookStateError((e as Error).message);
    }
    directives.set(directive.directive_id, {
      directive, status: oneOf(o.status, DIRECTIVE_STATUSES, `${at}.status`), verdict: o.verdict === null ? null : oneOf(o.verdict, VERDICTS, `${at}.verdict`),
      qty_allowed: decOrNull(o.qty_allowed, `${at}.qty_allowed`),
    });
  }
  const skill_states = new Map<string, SkillState>();
  for (const [k, x] of Object.entries(obj(v.skill_states, 'skill_states'))) skill_states.set(k, oneOf(x, SKILL_STATES, `skill_states.${k}`));
  const bd = obj(v.budget_day, 'budget_day');
  let risk_override: RiskOverride | null = null;
  if (v.risk_override !== null) {
    const ro = obj(v.risk_override, 'risk_override');
    try {
      risk_override = riskOverrideOf(str(ro.profile, 'risk_override.profile'), ro.overrides as CanonicalValue);
    } catch (e) {
      throw new BookStateError(`state.risk_override: ${(e as Error).message}`);
    }
  }
  return {
    book_id, execution_plane: v.execution_plane === null ? null : oneOf(v.execution_plane, EXECUTION_PLANES, 'execution_plane'),
    status: oneOf(v.status, BOOK_STATUSES, 'status'), last_inbox_id: int(v.last_inbox_id, 'last_inbox_id'), running: bool(v.running, 'running'),
    counts: {
      events: int(c.events, 'counts.events'), starts: int(c.starts, 'counts.starts'), stops: int(c.stops, 'counts.stops'),
      commands_applied: int(c.commands_applied, 'counts.commands_applied'), commands_rejected: int(c.commands_rejected, 'counts.commands_rejected'),
    },
    started: bool(v.started, 'started'), config_hash: str(v.config_hash, 'config_hash'), time_ms: int(v.time_ms, 'time_ms'), window_bars, history, ledger, positions, orders, memory,
    equity: dec(v.equity, 'equity'), peak_equity: dec(v.peak_equity, 'peak_equity'), tier: oneOf(v.tier, TIERS, 'tier'), cooldown_until_ms: int(v.cooldown_until_ms, 'cooldown_until_ms'),
    policy, directives, budget_day: { day: int(bd.day, 'budget_day.day'), used: dec(bd.used, 'budget_day.used') }, skill_states, epoch_auto: bool(v.epoch_auto, 'epoch_auto'), risk_override,
    truth_epoch_ms: v.truth_epoch_ms === undefined ? null : int(v.truth_epoch_ms, 'truth_epoch_ms'),
    seq: {
      signal: int(seq.signal, 'seq.signal'), intent: int(seq.intent, 'seq.intent'), order: int(seq.order, 'seq.order'), fill: int(seq.fill, 'seq.fill'),
      directive: int(seq.directive, 'seq.directive'), run: int(seq.run, 'seq.run'),
    },
    bars: int(v.bars, 'bars'), ticks: int(v.ticks, 'ticks'), fills: int(v.fills, 'fills'),
  };
}

/** The float view of a candle for skills: Number() of the canonical text (= Decimal.toNumber()). */
export function skillBarOf(c: Candle): SkillBar {
  return { open_time_ms: c.open_time_ms, open: c.open.toNumber(), high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber(), volume: c.volume.toNumber() };
}
