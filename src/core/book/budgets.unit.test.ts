/**
 * Per-task budgets of the tick harness in work units (./budgets.ts), given/when/then: a task that
 * would exceed its budget stops, is FAILED `budget_exceeded:<unit>`, the tick ends DEGRADED; the
 * critical fill_orders stopping skips every skill task; a book without budgets keeps its config hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalValue } from '../canonical/index.js';
import { BookHarness, candlesOf, H, opCommand, T0 } from '../../../test/support/book.js';
import { bookKernel, resolveBook, BookConfigError, type BookConfigInput, type BookEvent, type RuntimeCommand } from './index.js';
import type { Skill } from '../skills/types.js';

type Rec = Record<string, CanonicalValue>;
const config = (budgets: Rec | null, o: Partial<BookConfigInput> = {}): BookConfigInput => ({
  book_id: 'bud', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '20' }, initial_cash: '10000', ...(budgets === null ? {} : { harness: { budgets } }), ...o,
});
const CLOSES = [20000, 20000, 20050, 20000, 20100, 20200, 20150, 20100, 20300, 20400];
const outcomes = (es: readonly BookEvent[]) => es.filter((e) => e.type === 'tick.completed').map((e) => e.type === 'tick.completed' ? e.payload : null);

function runKernel(cfg: BookConfigInput, patch: ((s: Skill<unknown>) => Skill<unknown>) | null, candles = candlesOf(CLOSES)): { events: BookEvent[] } {
  const book = resolveBook(cfg);
  const kernel = bookKernel(patch === null ? book : { ...book, skills: book.skills.map((b) => ({ ...b, skill: patch(b.skill) })) });
  const s = kernel.decider.initialState();
  const events: BookEvent[] = [];
  events.push(...kernel.decider.step({ kind: 'runtime.start', time_ms: T0, book_id: 'bud', execution_plane: 'PAPER', owner: 't', lease_epoch: 1 }, s));
  const times = [...new Set(candles.map((c) => c.open_time_ms))].sort((a, b) => a - b);
  for (const t of times) events.push(...kernel.decider.step({ kind: 'market.tick', time_ms: t + H, candles: candles.filter((c) => c.open_time_ms === t) }, s));
  return { events };
}

test('a book without harness.budgets keeps its config (and hash); a bad budget is refused naming the field', () => {
  const plain = resolveBook(config(null));
  assert.equal(JSON.stringify(plain.config_json).includes('harness'), false, 'no defaults written into the hashed config');
  assert.deepEqual(plain.budgets, { bars_read_max: 5000, signals_max: 8, fills_max: 1000, policy_evaluations_max: 256 });
  assert.throws(() => resolveBook(config({ signals_max: 0 })), (e: Error) => e instanceof BookConfigError && /harness\.budgets\.signals_max/.test(e.message));
  assert.throws(() => resolveBook(config({ wall_ms: 5 })), /harness\.budgets/);
});

test('given signals_max 1, when a skill emits two signals in a tick, then the first is handled, the task FAILED budget_exceeded:signals, the tick DEGRADED', () => {
  let once = true;
  const two = (inner: Skill<unknown>): Skill<unknown> => ({
    ...inner,
    evaluate: (ctx) => (ctx.bars.at(-1)!.close === 20100 && ctx.position_qty.isZero() && (once ? !(once = false) : false) ? { signals: [{ action: 'enter', reason: 'a', indicators: {} }, { action: 'enter', reason: 'b', indicators: {} }], memory: ctx.memory } : inner.evaluate(ctx)),
  });
  const { events } = runKernel(config({ signals_max: 1 }), two);
  const tc = outcomes(events);
  assert.equal(tc.length, 1);
  assert.equal(tc[0]!.status, 'DEGRADED');
  assert.deepEqual(tc[0]!.tasks.at(-1), { task: 'skill:sma-cross@1:BTC/USD', outcome: 'FAILED', reason: 'budget_exceeded:signals' });
  assert.deepEqual(events.filter((e) => e.type === 'signal.emitted').map((e) => e.type === 'signal.emitted' && e.payload.reason).slice(0, 1), ['a'], 'the first signal was handled, the second never');
  assert.equal(events.filter((e) => e.type === 'signal.emitted' && e.payload.reason === 'b').length, 0);
  // without the budget the same skill would be fine (8 by default)
  once = true;
  assert.equal(outcomes(runKernel(config(null), two).events).length, 0);
});

test('given bars_read_max below a skill\'s window, when it would run, then it is FAILED budget_exceeded:bars_read and never evaluated', () => {
  let evaluated = 0;
  const count = (inner: Skill<unknown>): Skill<unknown> => ({ ...inner, evaluate: (ctx) => { evaluated += 1; return inner.evaluate(ctx); } });
  const { events } = runKernel(config({ bars_read_max: 2 }), count); // sma-cross(1, 2, atr 1) reads 4 bars
  assert.equal(evaluated, 0);
  const tc = outcomes(events);
  assert.ok(tc.length > 0 && tc.every((t) => t!.status === 'DEGRADED' && t!.tasks.at(-1)!.reason === 'budget_exceeded:bars_read'));
});

test('given fills_max 1 and two working orders, when the bar comes, then fill_orders (critical) stops after one: FAILED budget_exceeded:fills, the skills SKIPPED, the other order fills at the next bar', () => {
  const two = config({ fills_max: 1 }, {
    data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
    skills: [{ skill: 'sma-cross', symbols: ['BTC/USD', 'ETH/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  });
  const candles = [...candlesOf(CLOSES), ...candlesOf(CLOSES.map((c) => c / 10), { symbol: 'ETH/USD' })];
  const { events } = runKernel(two, null, candles);
  const tc = outcomes(events);
  const stopped = tc.find((t) => t!.tasks.some((x) => x.task === 'fill_orders' && x.outcome === 'FAILED'));
  assert.ok(stopped !== undefined && stopped !== null, 'the budget stopped fill_orders');
  assert.equal(stopped.status, 'DEGRADED');
  assert.deepEqual(stopped.tasks.find((x) => x.task === 'fill_orders'), { task: 'fill_orders', outcome: 'FAILED', reason: 'budget_exceeded:fills' });
  assert.ok(stopped.tasks.filter((x) => x.task.startsWith('skill:')).every((x) => x.outcome === 'SKIPPED' && x.reason === 'critical task fill_orders failed'));
  const at = events.find((e) => e.type === 'tick.completed' && e.payload === stopped)!.time_ms;
  const fills = events.filter((e) => e.type === 'fill.executed');
  assert.equal(fills.filter((e) => e.time_ms === at).length, 1, 'one fill at the stopped tick');
  assert.ok(fills.some((e) => e.time_ms === at + H), 'the order not reached filled at the next bar');
});

test('given policy_evaluations_max 1 and two retried directives, when the next tick comes, then one is judged, reevaluate_directives FAILED budget_exceeded:policy_evaluations, the other is judged a tick later', () => {
  const h = new BookHarness(config({ policy_evaluations_max: 1 }, { governance: { policy: { version: 't', budget: { notional_per_directive_max: '1' } } } }));
  h.start(T0);
  const candles = candlesOf(CLOSES);
  h.ticks(candles.slice(0, 5));
  let inbox = 900;
  const op = (command: string, payload: CanonicalValue) => h.apply({ ...opCommand(++inbox, command, payload, h.state.time_ms + 1), issued_by: 'operator:alice' } as RuntimeCommand);
  op('directive.propose', { type: 'module.run', payload: { module: 'noop' } }); // D2, allowed: complete
  assert.equal(h.state.directives.get('D1')?.status, 'blocked');
  op('directive.propose', { type: 'policy.change', payload: { policy: { version: 't2', modules_allowed: ['paper.order'] } } }); // D3 waits
  op('directive.reject', { directive_id: 'D3', reason: 'no' });
  op('directive.retry', { directive_id: 'D1' });
  op('directive.retry', { directive_id: 'D3' });
  const t1 = h.ticks(candles.slice(5, 6));
  const tc = outcomes(t1);
  assert.equal(tc.length, 1);
  assert.deepEqual(tc[0]!.tasks.find((x) => x.task === 'reevaluate_directives'), { task: 'reevaluate_directives', outcome: 'FAILED', reason: 'budget_exceeded:policy_evaluations' });
  assert.deepEqual(t1.filter((e) => e.type === 'policy.evaluated').map((e) => e.type === 'policy.evaluated' && e.payload.directive_id), ['D1']);
  const t2 = h.ticks(candles.slice(6, 7));
  assert.deepEqual(t2.filter((e) => e.type === 'policy.evaluated').map((e) => e.type === 'policy.evaluated' && e.payload.directive_id), ['D3']);
});
