/**
 * One market tick (the candles that closed at T), after step.started:
 *   1. record the bars (bar.closed, by symbol);
 *   2. fill the orders that were working BEFORE this tick against these bars (they were decided at
 *      an earlier close: no lookahead), post the ledger, expire what ran out of bars;
 *   3. mark the portfolio at T's closes; update the drawdown tier;
 *   4. unless the book is PAUSED, run the skills on history up to T: signals -> intents -> gates ->
 *      orders, which can only fill from the next tick on.
 * Invariants (ledger identity, cash >= 0, lots = positions, order quantities in range) are checked
 * after every tick with a fill and in full every INVARIANT_CHECK_EVERY_TICKS ticks; a breach throws
 * (a bug), and nothing of the step is written.
 */
import { canonicalJson, type CanonicalValue } from '../canonical/index.js';
import { Decimal } from '../money/decimal.js';
import { closeTimeMs, type Candle } from '../market/candle.js';
import { affordableQty, closeRemainder, feeFor, matchOrder, type PairSpec, type Side } from '../execution/index.js';
import { checkLedger, planFill, positionQty } from '../ledger/index.js';
import { tierFor, profileRef, type OrderIntent, type RiskProfile, type Tier } from '../risk/index.js';
import { sizeEntry, unitCost } from '../sizing/index.js';
import { numText } from '../indicators/index.js';
import type { SignalDraft, SkillDecision } from '../skills/types.js';
import type { SkillBinding } from './config.js';
import { BookCommandError, type TickCommand } from './commands.js';
import type { MarkPosition } from './events.js';
import { activeProfile, lastClose, placeOrder, recordIntent, riskChecks, sellIntent, type StepContext } from './orders.js';
import { lastCandle, type BookState, type History, type WorkingOrder } from './state.js';
import { expireDirectives, inputsHash, propose, reevaluateDirectives } from './govern.js';
import type { TaskOutcome } from './events.js';
import { LifecycleError, skillRuns, type RuleResult } from '../governance/index.js';
import { budgetExceeded } from './budgets.js';
import { EvolveError } from './evolve.js';
import { WindowContext } from './window.js';

const HUNDRED = Decimal.of(100);

/** Limits per tick. */
export const CANDLES_PER_TICK_MAX = 1_000;
export const SIGNALS_PER_SKILL_TICK_MAX = 8;
/** Full invariant check at least this often (and after every tick with a fill). */
export const INVARIANT_CHECK_EVERY_TICKS = 256;

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function checkInvariants(s: BookState): void {
  checkLedger(s.ledger);
  const symbols = new Set([...s.positions.keys(), ...Object.keys(s.ledger.lots)]);
  for (const sym of symbols) {
    const fromFills = s.positions.get(sym) ?? Decimal.ZERO;
    const fromLots = positionQty(s.ledger, sym);
    if (!fromFills.eq(fromLots)) throw new InvariantError(`invariant: ${sym} position ${fromFills.toString()} from fills != ${fromLots.toString()} in lots`);
    if (fromFills.isNegative()) throw new InvariantError(`invariant: ${sym} position ${fromFills.toString()} < 0`);
  }
  for (const o of s.orders) {
    if (o.remaining.isNegative() || o.remaining.gt(o.qty)) throw new InvariantError(`invariant: order ${o.order_id} remaining ${o.remaining.toString()} out of 0..${o.qty.toString()}`);
  }
}

const bySymbol = (a: Candle, b: Candle): number => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

/** The candles of a tick, checked and sorted by symbol (the command's own array when it is sorted already: no copy per tick). */
export function tickCandles(ctx: StepContext, cmd: TickCommand): readonly Candle[] {
  const { book, s } = ctx;
  if (cmd.candles.length === 0 || cmd.candles.length > CANDLES_PER_TICK_MAX) throw new BookCommandError(`market.tick needs 1..${CANDLES_PER_TICK_MAX} candles`);
  if (s.ticks > 0 && cmd.time_ms <= s.time_ms) throw new BookCommandError(`market.tick at ${cmd.time_ms} is not after the last tick ${s.time_ms}`);
  let sorted = true;
  for (let i = 1; i < cmd.candles.length && sorted; i++) sorted = bySymbol(cmd.candles[i - 1] as Candle, cmd.candles[i] as Candle) <= 0;
  const candles = sorted ? cmd.candles : [...cmd.candles].sort(bySymbol);
  let prev = '';
  for (const c of candles) {
    if (book.pairs[c.symbol] === undefined) throw new BookCommandError(`candle for ${c.symbol}, which the book does not trade`);
    if (c.symbol === prev) throw new BookCommandError(`two candles for ${c.symbol} in one tick`);
    if (c.interval_s !== book.interval_s) throw new BookCommandError(`${c.symbol}: interval ${c.interval_s}s, the book runs ${book.interval_s}s`);
    if (closeTimeMs(c) !== cmd.time_ms) throw new BookCommandError(`${c.symbol}: candle closes at ${closeTimeMs(c)}, the tick is ${cmd.time_ms}`);
    prev = c.symbol;
  }
  return candles;
}

/** A tick's skipped symbols (late data), checked: symbols of the book, sorted, distinct, none with a candle in the tick. */
export function tickSkipped(ctx: StepContext, cmd: TickCommand, candles: readonly Candle[]): readonly string[] {
  const skipped = cmd.skipped;
  if (skipped === undefined || skipped.length === 0) return NO_SKIPPED;
  let prev = '';
  for (const x of skipped) {
    if (ctx.book.pairs[x] === undefined) throw new BookCommandError(`skipped symbol ${x}, which the book does not trade`);
    if (x <= prev) throw new BookCommandError('skipped symbols must be sorted and distinct');
    if (barOf(candles, x) !== undefined) throw new BookCommandError(`${x} is both skipped and in the tick`);
    prev = x;
  }
  return skipped;
}
const NO_SKIPPED: readonly string[] = Object.freeze([]);

/** The skill a symbol runs, with its state-memory key ("skill@v|symbol") built once: a fresh key string per tick costs a hash per lookup. */
export interface SkillSlot {
  readonly binding: SkillBinding;
  readonly memKey: string;
  /** The harness task's name, "skill:<key>:<symbol>" (built once, not per tick). */
  readonly task: string;
}

/** The bar of `symbol` among a tick's bars (sorted by symbol, distinct): a binary search, no Map per tick. */
function barOf(bars: readonly Candle[], symbol: string): Candle | undefined {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = bars[mid] as Candle;
    if (b.symbol === symbol) return b;
    if (b.symbol < symbol) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** What one skill slot did this tick (the harness's per-task outcome). */
interface SkillRun {
  readonly task: string;
  outcome: TaskOutcome;
  reason: string;
}

/**
 * The harness of a tick: tasks in a fixed (topological) order, each checked before it runs.
 *   record_bars -> fill_orders -> mark_portfolio -> expire_directives -> [reevaluate_directives,
 *   when an operator retried a directive] -> per skill slot:
 *   skill:<key>:<symbol> (preconditions: book ACTIVE, skill ACTIVE or DEPRECATED (which opens nothing new), warmed up, a bar at T; then
 *   evaluate, filter its signals by what it declared, emit directives, gate, execute).
 * A skill that throws is FAILED (non-critical: the tick goes on, DEGRADED); one that emits what it
 * did not declare is QUARANTINED (skill.status_changed) and FAILED. An error in the harness's own
 * governance tasks ends the tick HALTED: the book takes no new entries until an operator resumes.
 * tick.completed is written only for a tick that did not end OK (a normal tick writes no outcome:
 * every task SUCCESS or SKIPPED). Each task has a budget in work units (./budgets.ts: bars read,
 * signals, fills, policy evaluations): over it, the task stops, FAILED `budget_exceeded:<unit>`,
 * the tick DEGRADED; fill_orders is critical (its stop skips the skill tasks of the tick).
 * A tick the runtime ran without a late symbol (the command's `skipped`) is DEGRADED, with one
 * task data_complete SKIPPED "late:<SYMBOL>" per such symbol first.
 * A bug in the ledger or the fills (an invariant) still throws:
 * nothing of such a step is written.
 */
export function runTick(ctx: StepContext, candles: readonly Candle[], slots: ReadonlyMap<string, SkillSlot>, skipped: readonly string[] = NO_SKIPPED): void {
  const { s } = ctx;
  // vwap is not recorded: the kernel never reads it, and a replay rebuilds the candle from the record
  let bars = candles;
  for (const c of candles) {
    if (c.vwap === null) continue;
    bars = candles.map((x) => (x.vwap === null ? x : { ...x, vwap: null }));
    break;
  }
  const probe = ctx.probe; // the driver's seam (./probe.ts): task spans in the runtime, nothing in a backtest
  probe?.task?.('record_bars');
  for (const bar of bars) ctx.emit({ type: 'bar.closed', time_ms: ctx.time_ms, payload: bar });
  probe?.taskEnd?.();
  const equityBefore = s.equity;
  const budgets = ctx.book.budgets;
  /** Harness tasks that did not simply succeed, or that ran only this tick (reevaluate_directives). */
  const notes: SkillRun[] = [];
  let filled = false;
  let fillsStopped = false;
  probe?.task?.('fill_orders');
  if (s.orders.length > 0) {
    const working = s.orders.slice(); // only orders placed before this tick fill on it
    let simulated = 0; // work units of fill_orders: orders matched against a bar
    for (const placed of working) {
      const bar = barOf(bars, placed.symbol);
      if (bar === undefined || !s.orders.includes(placed)) continue;
      if (simulated >= budgets.fills_max) {
        fillsStopped = true; // critical: the orders not reached keep working; no skill runs this tick
        notes.push({ task: 'fill_orders', outcome: 'FAILED', reason: budgetExceeded('fills') });
        break;
      }
      simulated += 1;
      filled = fillOrder(ctx, placed, bar, equityBefore) || filled;
    }
  }
  probe?.taskEnd?.();
  probe?.task?.('mark_portfolio');
  markPortfolio(ctx);
  probe?.taskEnd?.();
  let degraded = fillsStopped;
  if (s.directives.size > 0 && anyProposed(s)) {
    probe?.task?.('expire_directives');
    expireDirectives(ctx);
    probe?.taskEnd?.();
    probe?.task?.('reevaluate_directives');
    const r = reevaluateTask(ctx, notes);
    probe?.taskEnd?.();
    if (r === 'FAILED') degraded = true;
    else if (r !== null) return emitOutcome(ctx, 'HALTED', notes, [], r.halted, skipped);
  }
  const runs: SkillRun[] = [];
  for (const bar of bars) {
    const slot = slots.get(bar.symbol);
    if (slot === undefined) continue;
    const run: SkillRun = { task: slot.task, outcome: 'SUCCESS', reason: '' };
    runs.push(run);
    if (fillsStopped || s.status !== 'ACTIVE') {
      run.outcome = 'SKIPPED';
      run.reason = fillsStopped ? 'critical task fill_orders failed' : `book ${s.status}`;
      continue;
    }
    probe?.task?.(run.task);
    try {
      runSkill(ctx, slot.binding, bar.symbol, slot.memKey, run);
    } catch (e) {
      if (!(e instanceof HarnessError)) throw e;
      probe?.taskEnd?.();
      emitOutcome(ctx, 'HALTED', notes, runs, `${run.task}: ${e.message}`, skipped);
      return;
    }
    probe?.taskEnd?.();
    if (run.outcome === 'FAILED') degraded = true;
  }
  if (filled || s.ticks % INVARIANT_CHECK_EVERY_TICKS === 0) checkInvariants(s);
  if (degraded || skipped.length > 0) emitOutcome(ctx, 'DEGRADED', notes, runs, null, skipped);
}

/** Whether a directive waits (proposed): the state also keeps blocked ones for a retry, which need no task. */
function anyProposed(s: BookState): boolean {
  for (const d of s.directives.values()) if (d.status === 'proposed') return true;
  return false;
}

/**
 * The task reevaluate_directives (only when an operator retried a directive): the policy judges
 * each retried one again, within the policy_evaluations budget. Returns null when nothing was
 * retried or all went well, 'FAILED' when the budget stopped it (the rest wait for the next tick),
 * or the harness error that ends the tick HALTED.
 */
function reevaluateTask(ctx: StepContext, notes: SkillRun[]): null | 'FAILED' | { halted: string } {
  let retried = false;
  for (const d of ctx.s.directives.values()) if (d.status === 'proposed' && d.verdict === null) retried = true;
  if (!retried) return null;
  const note: SkillRun = { task: 'reevaluate_directives', outcome: 'SUCCESS', reason: '' };
  notes.push(note);
  try {
    const r = reevaluateDirectives(ctx, ctx.book.budgets.policy_evaluations_max);
    if (!r.exceeded) return null;
    note.outcome = 'FAILED';
    note.reason = budgetExceeded('policy_evaluations');
    return 'FAILED';
  } catch (e) {
    if (e instanceof InvariantError || e instanceof EvolveError || e instanceof LifecycleError) throw e; // bugs: nothing of the step is written
    return { halted: `reevaluate_directives: ${(e as Error)?.message ?? String(e)}` };
  }
}

/** An error in the harness's own work (governance of a signal): the tick ends HALTED. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}

const HARNESS_TASKS = ['record_bars', 'fill_orders', 'mark_portfolio', 'expire_directives'] as const;

/** The task of a symbol skipped as late: its reason names the symbol (replay reads the skipped symbols back from it). */
export const LATE_TASK = 'data_complete';
export const LATE_REASON_PREFIX = 'late:';

function emitOutcome(ctx: StepContext, status: 'DEGRADED' | 'HALTED', notes: readonly SkillRun[], runs: readonly SkillRun[], harnessError: string | null, skipped: readonly string[]): void {
  const tasks: { task: string; outcome: TaskOutcome; reason: string }[] = skipped.map((x) => ({ task: LATE_TASK, outcome: 'SKIPPED', reason: `${LATE_REASON_PREFIX}${x}` }));
  for (const task of HARNESS_TASKS) {
    const n = notes.find((x) => x.task === task);
    tasks.push({ task, outcome: n?.outcome ?? 'SUCCESS', reason: n?.reason ?? '' });
  }
  for (const n of notes) if (!(HARNESS_TASKS as readonly string[]).includes(n.task)) tasks.push({ task: n.task, outcome: n.outcome, reason: n.reason });
  for (const r of runs) tasks.push({ task: r.task, outcome: r.outcome, reason: r.reason });
  if (harnessError !== null) {
    const last = tasks[tasks.length - 1] as { outcome: TaskOutcome; reason: string };
    last.outcome = 'FAILED';
    last.reason = `harness error: ${harnessError}`.slice(0, 500);
  }
  ctx.emit({ type: 'tick.completed', time_ms: ctx.time_ms, payload: { status, tasks } });
}

/** Matches one working order against its bar; posts the fill and the ledger; closes the order when done. Returns whether it filled. */
function fillOrder(ctx: StepContext, o: WorkingOrder, bar: Candle, equityBefore: Decimal): boolean {
  const { book, s, time_ms } = ctx;
  const pair = book.pairs[o.symbol] as PairSpec;
  const m = matchOrder(o, bar, book.execution, pair);
  if (m?.triggered_now) ctx.emit({ type: 'order.triggered', time_ms, payload: { order_id: o.order_id, symbol: o.symbol, stop_price: o.stop_price?.toString() ?? null, bar_open_time_ms: bar.open_time_ms } });
  let clamp: 'cash' | 'position' | null = null;
  let qty = m?.qty ?? Decimal.ZERO;
  let filled = false;
  if (m !== null && qty.isPositive()) {
    const pct = m.liquidity === 'maker' ? book.fees.maker_pct : book.fees.taker_pct;
    if (o.side === 'buy') {
      // spot: never spend cash we do not have (a gap can make the fill dearer than the reserve)
      // (the fee as charged: rounded to fee_decimals; searched only when the order does not fit whole)
      const cost = m.price.mul(qty);
      if (cost.add(feeFor(cost, pct, pair.fee_decimals)).gt(s.ledger.cash)) {
        qty = affordableQty(s.ledger.cash, m.price, pct, pair.lot_decimals, pair.fee_decimals);
        clamp = 'cash';
      }
    } else {
      const held = positionQty(s.ledger, o.symbol);
      if (held.lt(qty)) { qty = held; clamp = 'position'; }
    }
    if (qty.isPositive()) {
      filled = true;
      const cost = m.price.mul(qty);
      const fee = feeFor(cost, pct, pair.fee_decimals);
      const fillId = `F${s.seq.fill + 1}`;
      ctx.emit({
        type: 'fill.executed', time_ms,
        payload: {
          fill_id: fillId, order_id: o.order_id, symbol: o.symbol, side: o.side, qty: qty.toString(), price: m.price.toString(), cost: cost.toString(),
          fee: fee.toString(), fee_pct: pct.toString(), liquidity: m.liquidity, bar_open_time_ms: bar.open_time_ms, remaining: o.remaining.sub(qty).toString(), clamp,
        },
      });
      const ledgerEvents = planFill(s.ledger, { fill_id: fillId, symbol: o.symbol, side: o.side, qty, price: m.price, fee, time_ms }, pair.fee_decimals);
      for (const le of ledgerEvents) ctx.emit({ type: le.type, payload: le.payload, time_ms } as never); // (no spread: ~1-2 us a call on Node 20)
      for (const le of ledgerEvents) {
        if (le.type !== 'trade.closed') continue;
        const pnl = Decimal.parse(le.payload.realized_pnl);
        const profile = activeProfile(ctx);
        if (pnl.isNegative() && equityBefore.isPositive() && profile.cooldown_bars > 0) {
          // the exact loss decides (loss x 100 >= pct x equity), not loss_pct as recorded (half-even to 4 digits: 2.99995 would count as 3)
          if (pnl.neg().mul(HUNDRED).gte(profile.severe_loss_pct.mul(equityBefore))) {
            const lossPct = pnl.neg().percentOf(equityBefore, 4, 'half_even');
            ctx.emit({ type: 'risk.cooldown_started', time_ms, payload: { until_ms: time_ms + profile.cooldown_bars * book.interval_s * 1000, trade_id: le.payload.trade_id, loss_pct: lossPct.toString() } });
          }
        }
      }
    }
  }
  const filledQty = o.qty.sub(o.remaining).toString();
  const close = (status: 'filled' | 'expired' | 'canceled', reason: string) => ctx.emit({ type: 'order.closed', time_ms, payload: { order_id: o.order_id, status, filled_qty: filledQty, reason } });
  if (o.remaining.isZero()) close('filled', 'filled');
  else if (o.side === 'sell' && !positionQty(s.ledger, o.symbol).isPositive()) close('canceled', 'position_closed');
  else if (o.bars_seen >= o.expire_bars) {
    close('expired', `not filled within ${o.expire_bars} bars`);
    replaceCloseRemainder(ctx, o);
  }
  return filled;
}

/**
 * The close-remainder rule (core/execution closeRemainder): a close (a sell whose remainder covers
 * the whole position: an exit or an operator flatten) that expires unfilled or partly filled is
 * re-placed at once as a market sell of what is held, so it works from the next bar on, again until
 * the position is flat. It continues an order already allowed, so no gate runs (as for any working
 * order, in any tier or while paused): it is recorded as intent.created (sizing mode
 * "close_remainder", naming the order it replaces) and order.placed, with no verdict event. Meanwhile the skill sees the remainder as a position with a working sell.
 */
function replaceCloseRemainder(ctx: StepContext, expired: WorkingOrder): void {
  const { book, s } = ctx;
  const qty = closeRemainder(expired, positionQty(s.ledger, expired.symbol));
  if (qty === null) return;
  const intent = sellIntent(ctx, expired.symbol, qty);
  recordIntent(ctx, intent, null, { mode: 'close_remainder', replaces: expired.order_id });
  placeOrder(ctx, intent, qty, book.execution.market_expire_bars);
}

/**
 * Drawdown from the peak, percent, half-even to 4 digits. A pure function of (peak, equity),
 * remembered for the last pair: a flat book marks the same pair tick after tick.
 */
let lastDd: { peak: Decimal; equity: Decimal; pct: Decimal } | null = null;
export function drawdownPct(peak: Decimal, equity: Decimal): Decimal {
  if (peak.eq(equity)) return Decimal.ZERO; // at the peak (a new high sets it): no division, the same "0"
  if (lastDd !== null && lastDd.peak.eq(peak) && lastDd.equity.eq(equity)) return lastDd.pct;
  const pct = peak.isPositive() ? peak.sub(equity).percentOf(peak, 4, 'half_even') : Decimal.ZERO;
  lastDd = { peak, equity, pct };
  return pct;
}

/**
 * The book's tier at (peak, equity): a threshold is reached when the EXACT drawdown
 * (peak - equity) / peak x 100 reaches it, not the recorded drawdown_pct (half-even to 4 digits),
 * which rounds 99.99995 up to 100 and would halt a book whose tier is at 100 % (the reference book)
 * with equity left. The rounded drawdown decides alone wherever it can: its units at scale 4 above
 * a threshold's (kept at that scale) mean the exact drawdown is above it too, below means below;
 * only an equal pair is decided exactly, (peak - equity) x 100 >= threshold x peak. An answer the
 * rounded drawdown gave alone is remembered for the last (profile, drawdown): the drawdown is the
 * same value tick after tick while the book is flat or at its peak. Thresholds of more than 4
 * digits are compared exactly every time. `drawdown` is drawdownPct(peak, equity).
 */
const DRAWDOWN_SCALE = 4;
const tierMemo: { profile: RiskProfile | null; drawdown: Decimal; tier: Tier; at: readonly [bigint, bigint, bigint] | null } = { profile: null, drawdown: Decimal.ZERO, tier: 'normal', at: null };
export function tierOf(profile: RiskProfile, drawdown: Decimal, peak: Decimal, equity: Decimal): Tier {
  const m = tierMemo;
  if (m.profile === profile && m.drawdown.scale === drawdown.scale && m.drawdown.units === drawdown.units) return m.tier;
  if (m.profile !== profile) {
    m.profile = profile;
    m.drawdown = NO_DRAWDOWN; // nothing remembered for the new profile yet
    const { halted_at_drawdown_pct: h, reducing_only_at_drawdown_pct: r, reduced_at_drawdown_pct: d } = profile;
    const at4 = (x: Decimal): bigint => x.units * 10n ** BigInt(DRAWDOWN_SCALE - x.scale);
    const [h4, r4, d4] = [h.normalized(), r.normalized(), d.normalized()]; // "10.000000" is 10: no exact compare per tick for trailing zeros
    m.at = h4.scale <= DRAWDOWN_SCALE && r4.scale <= DRAWDOWN_SCALE && d4.scale <= DRAWDOWN_SCALE ? [at4(h4), at4(r4), at4(d4)] : null;
  }
  const at = m.at;
  if (drawdown.scale !== DRAWDOWN_SCALE) { // drawdownPct's exact ZERO (at the peak, or no positive peak): no rounding to undo
    m.drawdown = drawdown;
    m.tier = tierFor(profile, drawdown);
    return m.tier;
  }
  if (at === null) return exactTier(profile, peak, equity);
  const u = drawdown.units;
  if (u === at[0] || u === at[1] || u === at[2]) return exactTier(profile, peak, equity); // too close to call on 4 digits
  m.drawdown = drawdown;
  m.tier = u > at[0] ? 'halted' : u > at[1] ? 'reducing_only' : u > at[2] ? 'reduced' : 'normal';
  return m.tier;
}
/** A drawdown no mark has (negative): the memo's "nothing remembered". */
const NO_DRAWDOWN = Decimal.of(-1n);

/** The tier of the exact drawdown: (peak - equity) x 100 >= threshold x peak, no division (a book with no positive peak has no drawdown). */
function exactTier(p: RiskProfile, peak: Decimal, equity: Decimal): Tier {
  if (!peak.isPositive()) return tierFor(p, Decimal.ZERO);
  const loss = peak.sub(equity).mul(HUNDRED);
  if (loss.gte(p.halted_at_drawdown_pct.mul(peak))) return 'halted';
  if (loss.gte(p.reducing_only_at_drawdown_pct.mul(peak))) return 'reducing_only';
  if (loss.gte(p.reduced_at_drawdown_pct.mul(peak))) return 'reduced';
  return 'normal';
}

/** A flat book's mark: one shared empty list (a payload is never changed once emitted). */
const NO_POSITIONS: readonly MarkPosition[] = Object.freeze([]);

/** mark.recorded at the tick's closes; risk.tier_changed when the drawdown crosses a threshold. */
function markPortfolio(ctx: StepContext): void {
  const { s, time_ms } = ctx;
  let equity = s.ledger.cash;
  let invested: Decimal | null = null; // the one position's value itself when there is one (no ZERO.add)
  let positions = NO_POSITIONS;
  const held = Object.keys(s.ledger.lots);
  if (held.length > 0) {
    if (held.length > 1) held.sort(); // (sort allocates even for 0 or 1 keys)
    const list: MarkPosition[] = [];
    for (const symbol of held) {
      const qty = positionQty(s.ledger, symbol);
      const last = lastCandle(s, symbol);
      if (last === undefined) throw new InvariantError(`position in ${symbol} without a price`);
      const value = qty.mul(last.close);
      equity = equity.add(value);
      invested = invested === null ? value : invested.add(value);
      list.push({ symbol, qty, close: last.close, value });
    }
    positions = list;
  }
  const peak = s.peak_equity.max(equity);
  const drawdown = drawdownPct(peak, equity);
  const exposurePct = invested !== null && equity.isPositive() && invested.isPositive() ? invested.percentOf(equity, 4, 'half_even') : Decimal.ZERO;
  const profile = activeProfile(ctx);
  const computed = tierOf(profile, drawdown, peak, equity);
  const tier: Tier = s.tier === 'halted' ? 'halted' : computed; // halted is sticky until an operator resumes
  ctx.emit({ type: 'mark.recorded', time_ms, payload: { cash: s.ledger.cash, positions, equity, exposure_pct: exposurePct, peak_equity: peak, drawdown_pct: drawdown, tier } });
  if (tier !== s.tier) ctx.emit({ type: 'risk.tier_changed', time_ms, payload: { from: s.tier, to: tier, drawdown_pct: drawdown.toString(), profile: profileRef(profile) } });
}

function runSkill(ctx: StepContext, b: SkillBinding, symbol: string, memKey: string, run: SkillRun): void {
  const { book, s, time_ms } = ctx;
  const state = s.skill_states.get(b.key);
  if (state !== undefined && !skillRuns(state)) {
    run.outcome = 'SKIPPED';
    run.reason = `skill ${state}`;
    return;
  }
  const h = s.history.get(symbol);
  if (h === undefined || h.bars.length < b.warmup_bars) {
    run.outcome = 'SKIPPED';
    run.reason = 'warming up';
    return;
  }
  if (Math.min(h.bars.length, b.warmup_bars) > book.budgets.bars_read_max) {
    run.outcome = 'FAILED';
    run.reason = budgetExceeded('bars_read');
    return;
  }
  const pair = book.pairs[symbol] as PairSpec;
  const memory = s.memory.get(memKey) ?? null;
  const qtyHeld = positionQty(s.ledger, symbol);
  const avgEntry = (): Decimal | null => {
    if (!qtyHeld.isPositive()) return null;
    let basis = Decimal.ZERO;
    for (const l of s.ledger.lots[symbol] ?? []) basis = basis.add(l.price.mul(l.qty));
    return basis.div(qtyHeld, pair.pair_decimals + 4, 'half_even');
  };
  let pendingBuy = false;
  let pendingSell = false;
  for (const o of s.orders) {
    if (o.symbol !== symbol) continue;
    if (o.side === 'buy') pendingBuy = true;
    else pendingSell = true;
  }
  let decision: SkillDecision;
  try {
    decision = b.skill.evaluate(new WindowContext(symbol, b.params, h, b.warmup_bars, qtyHeld, avgEntry, pendingBuy, pendingSell, memory));
  } catch (e) {
    run.outcome = 'FAILED';
    run.reason = `skill threw: ${(e as Error)?.message ?? String(e)}`.slice(0, 500);
    return;
  }
  const violation = undeclared(b, decision);
  if (violation !== null) {
    run.outcome = 'FAILED';
    run.reason = `quarantined: ${violation}`;
    ctx.emit({ type: 'skill.status_changed', time_ms, payload: { skill: b.key, from: state ?? 'ACTIVE', to: 'QUARANTINED', reason: violation } });
    return;
  }
  if (decision.memory !== memory && canonicalJson(decision.memory ?? null) !== canonicalJson(memory)) {
    ctx.emit({ type: 'skill.memory_set', time_ms, payload: { skill: b.key, symbol, memory: decision.memory } });
  }
  const signalsMax = book.budgets.signals_max;
  for (let i = 0; i < decision.signals.length; i++) {
    if (i >= signalsMax) {
      run.outcome = 'FAILED';
      run.reason = budgetExceeded('signals'); // the signals before it were handled; the rest are not
      return;
    }
    try {
      handleSignal(ctx, decision.signals[i] as SignalDraft, b, symbol, pair, state === 'DEPRECATED');
    } catch (e) {
      if (e instanceof InvariantError || e instanceof EvolveError || e instanceof LifecycleError) throw e; // bugs: nothing of the step is written
      throw new HarnessError((e as Error)?.message ?? String(e));
    }
  }
}

/** What a skill's decision does beyond its declaration (outputs, signal count, fraction), or null. */
function undeclared(b: SkillBinding, d: SkillDecision): string | null {
  if (d === null || typeof d !== 'object' || !Array.isArray(d.signals)) return 'evaluate returned no {signals, memory}';
  if (d.signals.length > SIGNALS_PER_SKILL_TICK_MAX) return `${d.signals.length} signals in one tick (max ${SIGNALS_PER_SKILL_TICK_MAX})`;
  for (const sig of d.signals) {
    if (!b.skill.outputs.includes(sig.action)) return `emitted ${JSON.stringify(sig.action)}, which it does not declare (${b.skill.outputs.join(', ')})`;
    if (sig.action === 'reduce' && !(typeof sig.fraction === 'string' && /^0\.[0-9]{1,12}$/.test(sig.fraction) && Number(sig.fraction) > 0)) return `reduce with fraction ${JSON.stringify(sig.fraction)} (expected a decimal string in (0, 1))`;
  }
  return null;
}

function handleSignal(ctx: StepContext, sig: SignalDraft, b: SkillBinding, symbol: string, pair: PairSpec, deprecated: boolean): void {
  const { book, s, time_ms } = ctx;
  const signalId = `S${s.seq.signal + 1}`;
  const indicators: Record<string, string> = {};
  for (const k of Object.keys(sig.indicators).sort()) indicators[k] = numText(sig.indicators[k] as number);
  const order: CanonicalValue = sig.order === undefined ? null : {
    type: sig.order.type, limit_price: sig.order.limit_price === undefined ? null : numText(sig.order.limit_price),
    stop_price: sig.order.stop_price === undefined ? null : numText(sig.order.stop_price), expire_bars: sig.order.expire_bars ?? null,
  };
  ctx.emit({ type: 'signal.emitted', time_ms, payload: { signal_id: signalId, skill: b.key, params: b.params_json, symbol, action: sig.action, fraction: sig.fraction ?? null, reason: sig.reason, indicators, order } });
  const close = lastClose(s, symbol) as Decimal;
  const held = positionQty(s.ledger, symbol);
  const provenance = (): CanonicalValue => ({
    skill: b.key, params: b.params_json, signal_id: signalId, reason: sig.reason,
    inputs_hash: inputsHash((s.history.get(symbol) as History).bars, b.warmup_bars),
  });
  // the proposal's common fields (written out in each literal below: a spread plus keys costs ~1-2 us a call on Node 20)
  const issued_by = `skill:${b.key}`;
  const idempotency_key = `signal:${signalId}`;
  if (sig.action === 'exit' || sig.action === 'reduce') {
    const qty = sig.action === 'exit' ? held : held.mul(Decimal.parse(sig.fraction ?? '1')).round(pair.lot_decimals, 'down');
    const intent = sellIntent(ctx, symbol, qty);
    recordIntent(ctx, intent, signalId, { mode: 'position_share' });
    const r = riskChecks(ctx, intent, pair);
    const type = sig.action === 'exit' ? 'order.close' : 'order.reduce';
    propose(ctx, {
      issued_by, symbols: [symbol], timebox_bars: null, idempotency_key, type, objective: `${sig.action} ${symbol}: ${sig.reason}`, notional: null, provenance: provenance(),
      payload: orderPayload(intent, book.execution.market_expire_bars, sig.action === 'exit'),
    }, r.checks, r.qty);
    return;
  }
  // enter / add: a buy, sized
  const side: Side = 'buy';
  const type = sig.order?.type ?? 'market';
  // the skill's float as the signal records it (its shortest text), rounded once to the tick against the trader
  const toPrice = (x: number | undefined, mode: 'floor' | 'ceil') => (x === undefined ? null : Decimal.ofFloat(x, `${sig.reason}: order price`).round(pair.pair_decimals, mode));
  const limit = type === 'limit' ? toPrice(sig.order?.limit_price, 'floor') : null;
  const stop = type === 'stop' ? toPrice(sig.order?.stop_price, 'ceil') : null;
  const ref = limit ?? stop ?? close;
  const slippage = type === 'limit' ? Decimal.ZERO : book.execution.slippage_bps;
  const uc = unitCost(ref, slippage, book.fees.taker_pct);
  const sized = sizeEntry(book.sizing, { price: ref, equity: s.equity, lot_decimals: pair.lot_decimals, slippage_bps: slippage, taker_pct: book.fees.taker_pct, atr: sig.indicators.atr ?? null });
  const intent: OrderIntent = { intent_id: `I${s.seq.intent + 1}`, symbol, side, type, qty: sized.ok ? sized.qty : Decimal.ZERO, limit_price: limit, stop_price: stop, unit_cost: uc, ref_price: ref };
  recordIntent(ctx, intent, signalId, sized.detail);
  const r: { checks: RuleResult[]; qty: Decimal | null } = deprecated
    ? { checks: [{ rule: 'skill.lifecycle', verdict: 'BLOCK', reason: `skill ${b.key} is DEPRECATED: it may close and reduce, it opens nothing new` }], qty: null }
    : sized.ok ? riskChecks(ctx, intent, pair) : { checks: [{ rule: 'sizing', verdict: 'BLOCK', reason: `${sized.reason}: sizing produced no quantity` }], qty: null };
  propose(ctx, {
    issued_by, symbols: [symbol], timebox_bars: null, idempotency_key, type: 'order.open', objective: `${sig.action} ${symbol}: ${sig.reason}`, notional: (r.qty ?? intent.qty).mul(uc), provenance: provenance(),
    payload: orderPayload(intent, sig.order?.expire_bars ?? book.execution.market_expire_bars, false),
  }, r.checks, r.qty);
}

function orderPayload(i: OrderIntent, expireBars: number, closeAll: boolean): CanonicalValue {
  return {
    intent_id: i.intent_id, symbol: i.symbol, side: i.side, order_type: i.type, qty: i.qty.toString(), limit_price: i.limit_price?.toString() ?? null,
    stop_price: i.stop_price?.toString() ?? null, unit_cost: i.unit_cost.toString(), ref_price: i.ref_price.toString(), expire_bars: expireBars, close_all: closeAll,
  };
}
