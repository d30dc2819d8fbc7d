/**
 * evolve(state, event): applies one recorded fact to the state IN PLACE and returns it. Nothing
 * here decides: decide (./decide.ts) already checked what the event says. The switch covers every
 * EventType (a missing case does not compile), so a fold never skips history. Ledger events go
 * through core/ledger's applyLedgerEvent, the one place that moves cash and lots.
 */
import { Decimal } from '../money/decimal.js';
import { applyLedgerEvent } from '../ledger/index.js';
import type { BookEvent } from './events.js';
import type { Candle } from '../market/candle.js';
import { newHistory, pushBar, riskOverrideOf, type BookState, type OpenDirective, type WorkingOrder } from './state.js';
import { resolvePolicy, skillTransition, transition } from '../governance/index.js';

const DAY_MS = 86_400_000;
/** Limit: blocked directives kept for a retry (beyond it the oldest one can no longer be retried). */
export const BLOCKED_RETAINED_MAX = 64;

export class EvolveError extends Error {
  override readonly name = 'EvolveError';
}

/** Market time of an operator command's engine events: the book's clock, not the inbox receipt time. */
export function evolve(s: BookState, e: BookEvent): BookState {
  s.counts.events += 1;
  switch (e.type) {
    case 'step.started':
      if (e.payload.command === 'market.tick' && s.directives.size > 0) pruneBlocked(s, e.time_ms);
      return s;
    case 'book.opened':
      s.book_id = e.payload.book_id;
      s.execution_plane = e.payload.execution_plane;
      s.status = 'ACTIVE';
      return s;
    case 'runtime.started':
      s.counts.starts += 1;
      s.running = true;
      return s;
    case 'runtime.stopped':
      s.counts.stops += 1;
      s.running = false;
      return s;
    case 'operator.command_applied':
      s.counts.commands_applied += 1;
      s.last_inbox_id = e.payload.inbox_id;
      s.status = e.payload.status_after;
      return s;
    case 'operator.command_rejected':
      s.counts.commands_rejected += 1;
      s.last_inbox_id = e.payload.inbox_id;
      return s;
    case 'book.started':
      s.started = true;
      s.config_hash = e.payload.config_hash;
      s.window_bars = { ...e.payload.window_bars };
      s.time_ms = e.time_ms;
      return s;
    case 'bar.closed': {
      const c = e.payload;
      recordBar(s, c);
      for (const o of s.orders) if (o.symbol === c.symbol) o.bars_seen += 1;
      if (e.time_ms !== s.time_ms) s.ticks += 1;
      s.time_ms = e.time_ms;
      s.bars += 1;
      return s;
    }
    case 'signal.emitted':
      s.seq.signal += 1;
      return s;
    case 'intent.created':
      s.seq.intent += 1;
      return s;
    case 'skill.memory_set':
      s.memory.set(`${e.payload.skill}|${e.payload.symbol}`, e.payload.memory);
      return s;
    case 'order.placed': {
      const p = e.payload;
      const qty = Decimal.parse(p.qty);
      const o: WorkingOrder = {
        order_id: p.order_id, intent_id: p.intent_id, symbol: p.symbol, side: p.side, type: p.order_type, qty, remaining: qty,
        limit_price: p.limit_price === null ? null : Decimal.parse(p.limit_price), stop_price: p.stop_price === null ? null : Decimal.parse(p.stop_price), triggered: false,
        unit_cost: Decimal.parse(p.unit_cost), ref_price: Decimal.parse(p.ref_price), expire_bars: p.expire_bars, bars_seen: 0, placed_ms: e.time_ms,
      };
      s.orders.push(o);
      s.seq.order += 1;
      return s;
    }
    case 'order.triggered':
      orderOf(s, e.payload.order_id).triggered = true;
      return s;
    case 'fill.executed': {
      const p = e.payload;
      const qty = Decimal.parse(p.qty);
      const held = s.positions.get(p.symbol) ?? Decimal.ZERO;
      const now = p.side === 'buy' ? held.add(qty) : held.sub(qty);
      if (now.isZero()) s.positions.delete(p.symbol);
      else s.positions.set(p.symbol, now);
      const o = orderOf(s, p.order_id);
      o.remaining = o.remaining.sub(qty);
      s.fills += 1;
      s.seq.fill += 1;
      return s;
    }
    case 'order.closed': {
      const i = s.orders.findIndex((o) => o.order_id === e.payload.order_id);
      if (i < 0) throw new EvolveError(`order.closed: no working order ${e.payload.order_id}`);
      s.orders.splice(i, 1);
      return s;
    }
    case 'cash.posted':
    case 'lot.opened':
    case 'lot.consumed':
    case 'trade.closed':
      s.ledger = applyLedgerEvent(s.ledger, e);
      return s;
    case 'mark.recorded':
      s.equity = e.payload.equity;
      s.peak_equity = e.payload.peak_equity;
      return s;
    case 'risk.tier_changed':
      s.tier = e.payload.to;
      return s;
    case 'risk.cooldown_started':
      s.cooldown_until_ms = e.payload.until_ms;
      return s;
    case 'directive.proposed': {
      const d = e.payload.directive;
      if (s.directives.has(d.directive_id)) throw new EvolveError(`directive ${d.directive_id} proposed twice`);
      s.directives.set(d.directive_id, { directive: d, status: transition(d.directive_id, 'draft', 'proposed'), verdict: null, qty_allowed: null });
      s.seq.directive += 1;
      return s;
    }
    case 'policy.evaluated': {
      const d = openDirective(s, e.payload.directive_id);
      d.verdict = e.payload.verdict;
      d.qty_allowed = e.payload.qty_allowed === null ? null : Decimal.parse(e.payload.qty_allowed);
      return s;
    }
    case 'directive.status_changed': {
      // the one writer of a directive's status, through the one lifecycle check
      const p = e.payload;
      const d = openDirective(s, p.directive_id);
      if (d.status !== p.from) throw new EvolveError(`directive ${p.directive_id}: recorded ${p.from} -> ${p.to}, but it is ${d.status}`);
      d.status = transition(p.directive_id, p.from, p.to);
      if (p.to === 'complete' || p.to === 'aborted') s.directives.delete(p.directive_id);
      else if (p.to === 'blocked') retainBlocked(s, p.directive_id);
      else if (p.from === 'blocked') { d.verdict = null; d.qty_allowed = null; } // a retry: the policy judges it again at the next tick
      return s;
    }
    case 'execution.status_changed': {
      const p = e.payload;
      if (p.from === 'pending') s.seq.run += 1;
      if (p.to === 'completed' && p.committed !== null) {
        const day = Math.floor(e.time_ms / DAY_MS);
        const used = Decimal.parse(p.committed);
        s.budget_day = day === s.budget_day.day ? { day, used: s.budget_day.used.add(used) } : { day, used };
      }
      return s;
    }
    case 'policy.changed': {
      const policy = resolvePolicy(e.payload.policy, 'policy.changed.policy');
      if (policy.hash !== e.payload.hash) throw new EvolveError(`policy.changed: hash ${e.payload.hash} does not match the policy (${policy.hash})`);
      s.policy = policy;
      return s;
    }
    case 'risk.peak_reset':
      s.peak_equity = Decimal.parse(e.payload.peak_after);
      return s;
    case 'skill.status_changed': {
      // the one writer of a skill's state, through the one lifecycle check (a configured skill starts ACTIVE)
      const p = e.payload;
      const now = s.skill_states.get(p.skill) ?? 'ACTIVE';
      if (now !== p.from) throw new EvolveError(`skill ${p.skill}: recorded ${p.from} -> ${p.to}, but it is ${now}`);
      if (skillTransition(p.skill, p.from, p.to) === 'ACTIVE') s.skill_states.delete(p.skill);
      else s.skill_states.set(p.skill, p.to);
      return s;
    }
    case 'risk.profile_changed':
      s.risk_override = riskOverrideOf(e.payload.profile, e.payload.overrides);
      return s;
    case 'book.status_changed':
      s.status = e.payload.to;
      return s;
    case 'epoch.mode_changed':
      s.epoch_auto = e.payload.mode === 'auto';
      return s;
    case 'bar.late': {
      // the symbol's history only: no tick, no market time, no order's bar count (it fills nothing)
      recordBar(s, e.payload);
      return s;
    }
    case 'epoch.advanced':
      s.truth_epoch_ms = e.payload.te_ms;
      return s;
    case 'tick.completed':
      if (e.payload.status === 'HALTED') s.status = 'HALTED';
      return s;
    default: {
      const never: never = e;
      throw new EvolveError(`evolve does not know event type ${JSON.stringify((never as { type: string }).type)}`);
    }
  }
}

function openDirective(s: BookState, id: string): OpenDirective {
  const d = s.directives.get(id);
  if (d === undefined) throw new EvolveError(`no open directive ${id}`);
  return d;
}

function orderOf(s: BookState, id: string): WorkingOrder {
  const o = s.orders.find((x) => x.order_id === id);
  if (o === undefined) throw new EvolveError(`no working order ${id}`);
  return o;
}

// ---- retry (blocked -> proposed): which blocked directives the state keeps ----

/** Keeps a directive that just became blocked for a retry, dropping the oldest blocked one beyond BLOCKED_RETAINED_MAX. */
function retainBlocked(s: BookState, id: string): void {
  let blocked = 0;
  for (const d of s.directives.values()) if (d.status === 'blocked') blocked += 1;
  if (blocked <= BLOCKED_RETAINED_MAX) return;
  for (const [k, d] of s.directives) {
    if (d.status === 'blocked' && k !== id) {
      s.directives.delete(k);
      return;
    }
  }
}

/** At a market tick: blocked directives whose timebox ended can never be retried; they leave the state. */
function pruneBlocked(s: BookState, time_ms: number): void {
  for (const [k, d] of s.directives) {
    const t = d.directive.timebox.expires_ms;
    if (d.status === 'blocked' && t !== null && time_ms >= t) s.directives.delete(k);
  }
}

/** A bar joins its symbol's history (bounded by the symbol's window): bar.closed and bar.late alike. */
function recordBar(s: BookState, c: Candle): void {
  const window = s.window_bars[c.symbol] ?? 2;
  let h = s.history.get(c.symbol);
  if (h === undefined) {
    h = newHistory(window);
    s.history.set(c.symbol, h);
  }
  pushBar(h, c, window);
}
