/**
 * The backtest report's data, derived from a run's engine events only (what the log says, not
 * what the engine's state happens to hold): closed trades with entry/exit time, quantity,
 * quantity-weighted entry and exit prices, net P&L and fees, attributed to the skill whose signal
 * opened the trade (fill -> order -> intent -> signal); a per-skill breakdown; the equity and
 * drawdown series from `mark.recorded`. Money stays exact decimal text; average prices and win
 * rates are rounded half-even to a stated scale. Floats appear only in the chart series.
 *
 * Bounded memory, whatever the length of the run: series and candles are thinned, the first
 * REPORT_TRADES_MAX trades and REPORT_FILLS_MAX fills are kept (with their totals), the per-skill
 * figures are running sums, and each link of the attribution chain is dropped as soon as the log
 * says it can no longer be used: a signal's skill at the end of its step (its intent is made in the
 * same step), an intent's once its order is placed or once no directive the book still holds names
 * it, an order's when it closes, a fill's at the end of its step, a lot's when it is used up, a
 * trade's when it closes. Which directives the book still holds follows the book's own rules
 * (core/book/evolve.ts: complete and aborted ones leave; at most BLOCKED_RETAINED_MAX blocked ones
 * stay, the oldest dropped first; a blocked one leaves at the first market tick at or after the end
 * of its timebox); a test checks the mirror against the book's state after every step of real runs.
 */
import { Decimal } from '../core/money/decimal.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { NewEvent } from '../core/events/envelope.js';
import { encodeEvent, type BookEvent } from '../core/book/index.js';
import { BLOCKED_RETAINED_MAX } from '../core/book/evolve.js';

/** Digits of the quantity-weighted average entry/exit prices and of the win rate (percent). */
export const AVG_PRICE_SCALE = 8;
export const WIN_RATE_SCALE = 2;
/** A trade opened by an operator command (flatten), not by a skill's signal. */
export const OPERATOR_SKILL = 'operator';

export interface ReportTrade {
  readonly trade_id: string;
  readonly symbol: string;
  readonly skill: string;
  readonly entry_ms: number;
  readonly exit_ms: number;
  readonly qty: string;
  readonly entry_price: string;
  readonly exit_price: string;
  /** Net of entry and exit fees (the ledger's realized P&L). */
  readonly pnl: string;
  readonly fees: string;
}

export interface ReportSkill {
  readonly skill: string;
  readonly trades: number;
  readonly wins: number;
  /** wins / trades in percent, half-even to WIN_RATE_SCALE digits ("0.00" with no trades). */
  readonly win_rate_pct: string;
  readonly net_pnl: string;
  readonly fees: string;
}

export interface ReportPoint {
  /** Bar close time, ms since epoch (UTC). */
  readonly time_ms: number;
  /** The exact decimal text from the event. */
  readonly value: string;
}

/** A candle of the price chart: one bar, or (a long run) several consecutive bars merged; exact decimal text. */
export interface ReportCandle {
  readonly open_time_ms: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
}

export interface ReportFill {
  readonly fill_id: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: string;
  readonly price: string;
  readonly bar_open_time_ms: number;
}

export interface ReportModel {
  /** The first REPORT_TRADES_MAX closed trades, in the order they closed, and how many closed. */
  readonly trades: readonly ReportTrade[];
  readonly trades_total: number;
  readonly skills: readonly ReportSkill[];
  readonly equity: readonly ReportPoint[];
  /** Drawdown from the equity peak, percent (>= 0). */
  readonly drawdown: readonly ReportPoint[];
  /** Per symbol (in the order first seen), the price chart's candles (at most REPORT_CANDLES_MAX). */
  readonly candles: ReadonlyArray<{ readonly symbol: string; readonly candles: readonly ReportCandle[] }>;
  /** The first REPORT_FILLS_MAX fills (markers on the price chart), and how many there were. */
  readonly fills: readonly ReportFill[];
  readonly fills_total: number;
}

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

type Payload = Record<string, CanonicalValue>;

interface Leg {
  qty: Decimal;
  notional: Decimal;
}

const str = (p: Payload, k: string, type: string): string => {
  const v = p[k];
  if (typeof v !== 'string') throw new ReportError(`${type} event without a string ${k}`);
  return v;
};

/** Adds qty at price to a trade's entry or exit leg (for the quantity-weighted average). */
function addToLeg(legs: Map<string, Leg>, trade: string, qty: Decimal, price: Decimal): void {
  const leg = legs.get(trade) ?? { qty: Decimal.ZERO, notional: Decimal.ZERO };
  legs.set(trade, { qty: leg.qty.add(qty), notional: leg.notional.add(qty.mul(price)) });
}

function avgPrice(leg: Leg | undefined, what: string): string {
  if (leg === undefined || leg.qty.isZero()) throw new ReportError(`${what}: no quantity to average a price over`);
  return leg.notional.div(leg.qty, AVG_PRICE_SCALE, 'half_even').normalized().toString();
}

/** Points kept per chart series: a longer run is downsampled (every k-th mark, k doubling; the last kept). */
export const REPORT_POINTS_MAX = 4_000;

/** Candles kept per symbol: a longer run merges neighbours (2, 4, 8, ... bars per candle; exact OHLC). */
export const REPORT_CANDLES_MAX = 2_000;
/** Fills drawn as markers at most (the first ones; the page says how many there were). */
export const REPORT_FILLS_MAX = 5_000;
/** Closed trades listed at most (the first ones; the page says how many there were; the per-skill figures count them all). */
export const REPORT_TRADES_MAX = 5_000;

type MutableCandle = { open_time_ms: number; open: string; high: Decimal; low: Decimal; close: string; bars: number };

function merge(a: MutableCandle, b: MutableCandle): MutableCandle {
  return { open_time_ms: a.open_time_ms, open: a.open, high: b.high.gt(a.high) ? b.high : a.high, low: b.low.lt(a.low) ? b.low : a.low, close: b.close, bars: a.bars + b.bars };
}

/** One symbol's candles, coarsened as they grow: bounded memory whatever the length of the run. */
class Coarsened {
  private candles: MutableCandle[] = [];
  private stride = 1;
  add(c: MutableCandle): void {
    const last = this.candles[this.candles.length - 1];
    if (last !== undefined && last.bars < this.stride) this.candles[this.candles.length - 1] = merge(last, c);
    else this.candles.push(c);
    if (this.candles.length > REPORT_CANDLES_MAX) {
      const merged: MutableCandle[] = [];
      for (let i = 0; i < this.candles.length; i += 2) merged.push(i + 1 < this.candles.length ? merge(this.candles[i]!, this.candles[i + 1]!) : this.candles[i]!);
      this.candles = merged;
      this.stride *= 2;
    }
  }
  values(): ReportCandle[] {
    return this.candles.map((c) => ({ open_time_ms: c.open_time_ms, open: c.open, high: c.high.toString(), low: c.low.toString(), close: c.close }));
  }
}

/** A series thinned as it grows: bounded memory whatever the length of the run. */
class Thinned {
  private points: ReportPoint[] = [];
  private stride = 1;
  private n = 0;
  private last: ReportPoint | null = null;
  add(p: ReportPoint): void {
    if (this.n++ % this.stride === 0) {
      this.points.push(p);
      if (this.points.length > REPORT_POINTS_MAX) {
        this.points = this.points.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
    this.last = p;
  }
  values(): ReportPoint[] {
    const tail = this.points[this.points.length - 1];
    return this.last !== null && tail !== this.last ? [...this.points, this.last] : [...this.points];
  }
}

/** Per-skill running sums of closed trades (bounded: one entry per skill). */
class SkillTally {
  private readonly acc = new Map<string, { trades: number; wins: number; pnl: Decimal; fees: Decimal }>();
  add(skill: string, pnlText: string, feesText: string): void {
    const a = this.acc.get(skill) ?? { trades: 0, wins: 0, pnl: Decimal.ZERO, fees: Decimal.ZERO };
    const pnl = Decimal.parse(pnlText);
    this.acc.set(skill, { trades: a.trades + 1, wins: a.wins + (pnl.isPositive() ? 1 : 0), pnl: a.pnl.add(pnl), fees: a.fees.add(Decimal.parse(feesText)) });
  }
  /** Every skill that signalled, plus any that closed a trade, sorted by name. */
  rows(signalled: Iterable<string>): ReportSkill[] {
    const names = new Set([...this.acc.keys(), ...signalled]);
    return [...names].sort().map((skill) => {
      const a = this.acc.get(skill) ?? { trades: 0, wins: 0, pnl: Decimal.ZERO, fees: Decimal.ZERO };
      const rate = a.trades === 0 ? Decimal.ZERO : Decimal.of(a.wins * 100).div(Decimal.of(a.trades), WIN_RATE_SCALE, 'half_even');
      return { skill, trades: a.trades, wins: a.wins, win_rate_pct: rate.toFixed(WIN_RATE_SCALE), net_pnl: a.pnl.toString(), fees: a.fees.toString() };
    });
  }
}

/** Who an intent's order belongs to: a skill (or OPERATOR_SKILL), or why the log cannot say (reported if a trade needs it). */
type Attribution = string | { readonly missing: string };

/** A directive the book still holds: the intent it may still place, the end of its timebox, whether it is blocked. */
interface HeldDirective {
  readonly intent: string | null;
  readonly expires_ms: number | null;
  blocked: boolean;
}

/**
 * Builds the report model from a run's events (canonical payloads), fed in log order one at a time:
 * the backtest feeds it as the steps are made, so the run is never held whole (see the header).
 */
export class ReportBuilder {
  /** Signals of the current step. */
  private readonly skillOfSignal = new Map<string, string>();
  /** Intents not yet placed as orders: made this step, or named by a directive the book holds. */
  private readonly skillOfIntent = new Map<string, Attribution>();
  /** Intents made in the current step (at the next step, those no held directive names are dropped). */
  private stepIntents: string[] = [];
  /** Directives the book holds, in the order they were proposed (the book's own order). */
  private readonly directives = new Map<string, HeldDirective>();
  private readonly intentsHeld = new Set<string>();
  private readonly skillOfOrder = new Map<string, Attribution | undefined>();
  /** Fills of the current step (a fill's lots are posted in its step). */
  private readonly orderOfFill = new Map<string, string>();
  private readonly tradeOfLot = new Map<string, string>();
  private readonly skillOfTrade = new Map<string, string>();
  private readonly entries = new Map<string, Leg>();
  private readonly exits = new Map<string, Leg>();
  private readonly trades: ReportTrade[] = [];
  private tradesTotal = 0;
  private readonly tally = new SkillTally();
  private readonly signalled = new Set<string>();
  private readonly equity = new Thinned();
  private readonly drawdown = new Thinned();
  private readonly candles = new Map<string, Coarsened>();
  private readonly fills: ReportFill[] = [];
  private fillsTotal = 0;

  /** How many links of the attribution chain are held (tests: bounded by the book's open orders, held directives and open trades). */
  get links(): number {
    return this.skillOfSignal.size + this.skillOfIntent.size + this.directives.size + this.skillOfOrder.size + this.orderOfFill.size + this.tradeOfLot.size + this.skillOfTrade.size;
  }
  /** The directives the builder holds as the book would (tests compare them with the book's state). */
  heldDirectives(): string[] {
    return [...this.directives.keys()];
  }

  private skillOfFill(fill: string): string {
    const order = this.orderOfFill.get(fill);
    const a = order === undefined ? undefined : this.skillOfOrder.get(order);
    if (a === undefined) throw new ReportError(`fill ${fill}: no order/intent recorded before it`);
    if (typeof a !== 'string') throw new ReportError(a.missing);
    return a;
  }

  private dropDirective(id: string): void {
    const d = this.directives.get(id);
    if (d === undefined) return;
    this.directives.delete(id);
    if (d.intent !== null) {
      this.intentsHeld.delete(d.intent);
      this.skillOfIntent.delete(d.intent);
    }
  }

  /** A new step: what only lives within a step is dropped; at a market tick, blocked directives past their timebox leave (as in the book). */
  private stepStarted(command: CanonicalValue | undefined, time_ms: number): void {
    this.skillOfSignal.clear();
    this.orderOfFill.clear();
    for (const i of this.stepIntents) if (!this.intentsHeld.has(i)) this.skillOfIntent.delete(i);
    this.stepIntents = [];
    if (command !== 'market.tick') return;
    for (const [id, d] of this.directives) if (d.blocked && d.expires_ms !== null && time_ms >= d.expires_ms) this.dropDirective(id);
  }

  private statusChanged(p: Payload): void {
    const id = str(p, 'directive_id', 'directive.status_changed');
    const d = this.directives.get(id);
    if (d === undefined) return;
    if (p.to === 'complete' || p.to === 'aborted') this.dropDirective(id);
    else if (p.to === 'blocked') {
      d.blocked = true;
      let blocked = 0;
      for (const x of this.directives.values()) if (x.blocked) blocked += 1;
      if (blocked > BLOCKED_RETAINED_MAX) {
        for (const [k, x] of this.directives) {
          if (x.blocked && k !== id) {
            this.dropDirective(k);
            break;
          }
        }
      }
    } else if (p.from === 'blocked') d.blocked = false;
  }

  /** Event types the model reads; the rest are skipped (addBook does not even encode them). */
  static readonly READS: ReadonlySet<string> = new Set([
    'step.started', 'signal.emitted', 'intent.created', 'directive.proposed', 'directive.status_changed', 'order.placed', 'order.closed', 'fill.executed',
    'bar.closed', 'lot.opened', 'lot.consumed', 'trade.closed', 'mark.recorded',
  ]);

  /**
   * A typed event as the run makes it: the same as add(encodeEvent(e)) (a test checks it on real
   * runs), without encoding the three per-bar events (their fields are read as they are) nor the
   * types the model does not read. This is what `warden backtest --report` feeds.
   */
  addBook(e: BookEvent): void {
    switch (e.type) {
      case 'step.started':
        this.stepStarted(e.payload.command, e.time_ms);
        return;
      case 'bar.closed': {
        const c = e.payload;
        this.bar(c.symbol, { open_time_ms: c.open_time_ms, open: c.open.toString(), high: c.high, low: c.low, close: c.close.toString(), bars: 1 });
        return;
      }
      case 'mark.recorded':
        this.mark(e.time_ms, e.payload.equity.toString(), e.payload.drawdown_pct.toString());
        return;
    }
    if (ReportBuilder.READS.has(e.type)) this.add(encodeEvent(e));
  }

  private bar(symbol: string, c: MutableCandle): void {
    let series = this.candles.get(symbol);
    if (series === undefined) this.candles.set(symbol, (series = new Coarsened()));
    series.add(c);
  }

  private mark(time_ms: number, equity: string, drawdown: string): void {
    this.equity.add({ time_ms, value: equity });
    this.drawdown.add({ time_ms, value: drawdown });
  }

  add(e: NewEvent): void {
    const p = e.payload as Payload;
    switch (e.type) {
      case 'step.started':
        this.stepStarted(p.command, e.time_ms);
        break;
      case 'signal.emitted': {
        const skill = str(p, 'skill', e.type);
        this.skillOfSignal.set(str(p, 'signal_id', e.type), skill);
        this.signalled.add(skill);
        break;
      }
      case 'intent.created': {
        const intent = str(p, 'intent_id', e.type);
        const signal = typeof p.signal_id === 'string' ? p.signal_id : null;
        this.skillOfIntent.set(intent, signal === null ? OPERATOR_SKILL : this.skillOfSignal.get(signal) ?? { missing: `signal ${signal}: not recorded before its intent` });
        this.stepIntents.push(intent);
        break;
      }
      case 'directive.proposed': {
        const d = (p.directive ?? {}) as Payload;
        const id = str(d, 'directive_id', e.type);
        const pl = d.payload as Payload | null | undefined;
        // only an order directive (order.open/close/reduce: a skill's, with its own fresh intent) places an
        // intent; another type's payload may carry any key, an intent_id too, which names nothing here
        const isOrder = typeof d.type === 'string' && d.type.startsWith('order.');
        const intent = isOrder && pl !== null && typeof pl === 'object' && typeof pl.intent_id === 'string' ? pl.intent_id : null;
        const timebox = d.timebox as Payload | null | undefined;
        const expires = timebox !== null && typeof timebox === 'object' && typeof timebox.expires_ms === 'number' ? timebox.expires_ms : null;
        this.directives.set(id, { intent, expires_ms: expires, blocked: false });
        if (intent !== null) this.intentsHeld.add(intent);
        break;
      }
      case 'directive.status_changed':
        this.statusChanged(p);
        break;
      case 'order.placed': {
        const intent = str(p, 'intent_id', e.type);
        this.skillOfOrder.set(str(p, 'order_id', e.type), this.skillOfIntent.get(intent));
        this.skillOfIntent.delete(intent); // one order per intent
        break;
      }
      case 'order.closed':
        this.skillOfOrder.delete(str(p, 'order_id', e.type));
        break;
      case 'fill.executed':
        this.orderOfFill.set(str(p, 'fill_id', e.type), str(p, 'order_id', e.type));
        if (this.fillsTotal++ < REPORT_FILLS_MAX) {
          this.fills.push({
            fill_id: str(p, 'fill_id', e.type), symbol: str(p, 'symbol', e.type), side: str(p, 'side', e.type), qty: str(p, 'qty', e.type),
            price: str(p, 'price', e.type), bar_open_time_ms: p.bar_open_time_ms as number,
          });
        }
        break;
      case 'bar.closed':
        this.bar(str(p, 'symbol', e.type), {
          open_time_ms: p.open_time_ms as number, open: str(p, 'open', e.type), high: Decimal.parse(str(p, 'high', e.type)), low: Decimal.parse(str(p, 'low', e.type)),
          close: str(p, 'close', e.type), bars: 1,
        });
        break;
      case 'lot.opened': {
        const trade = str(p, 'trade_id', e.type);
        this.tradeOfLot.set(str(p, 'lot_id', e.type), trade);
        if (!this.skillOfTrade.has(trade)) this.skillOfTrade.set(trade, this.skillOfFill(str(p, 'fill_id', e.type)));
        addToLeg(this.entries, trade, Decimal.parse(str(p, 'qty', e.type)), Decimal.parse(str(p, 'price', e.type)));
        break;
      }
      case 'lot.consumed': {
        const lot = str(p, 'lot_id', e.type);
        const trade = this.tradeOfLot.get(lot);
        if (trade === undefined) throw new ReportError(`lot ${lot} consumed before it was opened`);
        addToLeg(this.exits, trade, Decimal.parse(str(p, 'qty', e.type)), Decimal.parse(str(p, 'exit_price', e.type)));
        if (p.qty_left === '0') this.tradeOfLot.delete(lot); // used up: never named again
        break;
      }
      case 'trade.closed': {
        const id = str(p, 'trade_id', e.type);
        const skill = this.skillOfTrade.get(id) ?? OPERATOR_SKILL;
        const pnl = str(p, 'realized_pnl', e.type);
        const fees = str(p, 'fees', e.type);
        const trade: ReportTrade = {
          trade_id: id, symbol: str(p, 'symbol', e.type), skill, entry_ms: p.opened_ms as number, exit_ms: p.closed_ms as number, qty: str(p, 'qty_bought', e.type),
          entry_price: avgPrice(this.entries.get(id), `trade ${id} entry`), exit_price: avgPrice(this.exits.get(id), `trade ${id} exit`), pnl, fees,
        };
        if (this.tradesTotal++ < REPORT_TRADES_MAX) this.trades.push(trade);
        this.tally.add(skill, pnl, fees);
        // a closed trade's legs and attribution are never read again
        this.entries.delete(id);
        this.exits.delete(id);
        this.skillOfTrade.delete(id);
        break;
      }
      case 'mark.recorded':
        this.mark(e.time_ms, str(p, 'equity', e.type), str(p, 'drawdown_pct', e.type));
        break;
      default:
        break;
    }
  }

  model(): ReportModel {
    return {
      trades: [...this.trades], trades_total: this.tradesTotal, skills: this.tally.rows(this.signalled), equity: this.equity.values(), drawdown: this.drawdown.values(),
      candles: [...this.candles].map(([symbol, c]) => ({ symbol, candles: c.values() })), fills: [...this.fills], fills_total: this.fillsTotal,
    };
  }
}

/** Builds the report model from a run's events, in log order. */
export function buildReportModel(events: Iterable<NewEvent>): ReportModel {
  const b = new ReportBuilder();
  for (const e of events) b.add(e);
  return b.model();
}

/** Per skill (every skill that signalled, plus any that closed a trade), sorted by name. */
export function skillBreakdown(trades: readonly ReportTrade[], signalled: readonly string[]): ReportSkill[] {
  const tally = new SkillTally();
  for (const t of trades) tally.add(t.skill, t.pnl, t.fees);
  return tally.rows(signalled);
}
