/**
 * The trading BookKernel: runtime commands + market ticks fold to the same engine state and fills
 * as runBacktest; operator pause/resume/flatten are answered once and reach the engine; the codec
 * round-trips; the minimal kernel refuses market ticks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import type { NewEvent } from '../events/index.js';
import { BookCommandError, minimalBookKernel, stateHashHex, type RuntimeCommand } from '../book/index.js';
import { engineStateHash, fillsFingerprint, resolveBook, runBacktest, ticksOf, tradingBookKernel, tradingStateCodec, type EngineEvent, type TradingBookState } from './index.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const closes = [20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 19900, 19800, 20000, 20400, 20500, 20300, 20000];
const bars: Candle[] = closes.map((c, i) => ({
  symbol: 'BTC/USD', interval_s: 3600, open_time_ms: T0 + i * H, open: Decimal.parse(String(c)), high: Decimal.parse(String(c + 10)),
  low: Decimal.parse(String(c - 10)), close: Decimal.parse(String(c)), volume: Decimal.parse('1000'), vwap: null, count: 100,
}));
const config = {
  book_id: 'main', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
};
const book = resolveBook(config);
const kernel = tradingBookKernel(book);
const start: RuntimeCommand = { kind: 'runtime.start', time_ms: Date.UTC(2026, 0, 1), book_id: 'main', execution_plane: 'PAPER', owner: 'h:1', lease_epoch: 1 };
const op = (inbox_id: number, command: string, payload: unknown = { reason: 'x' }): RuntimeCommand =>
  ({ kind: 'operator.command', time_ms: Date.UTC(2026, 0, 1) + inbox_id, inbox_id, command, payload: payload as never, issued_by: 'ops' });
const ticks = ticksOf(book, bars).map((t): RuntimeCommand => ({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));

function run(commands: RuntimeCommand[], from: TradingBookState = kernel.decider.initialState()): { state: TradingBookState; events: NewEvent[] } {
  let state = from;
  const events: NewEvent[] = [];
  for (const c of commands) {
    for (const e of kernel.decider.decide(c, state)) {
      events.push(e);
      state = kernel.decider.evolve(state, e);
    }
  }
  return { state, events };
}

test('runtime start + ticks = the backtest: same fills fingerprint and engine state hash', () => {
  const expected = runBacktest(config, bars).summary;
  assert.ok(expected.fills > 0, 'the fixture trades');
  const { state, events } = run([start, ...ticks]);
  assert.equal(fillsFingerprint(events as EngineEvent[]), expected.fingerprint);
  assert.equal(engineStateHash(state.engine), expected.state_hash);
  assert.deepEqual(events.slice(0, 3).map((e) => e.type), ['book.opened', 'runtime.started', 'book.started']);
});

test('a restart in the middle (stop, start after a crash, codec round trip) continues to the same result', () => {
  const a = run([start, ...ticks.slice(0, 6)]);
  const restored = tradingStateCodec.decode(JSON.parse(JSON.stringify(tradingStateCodec.encode(a.state))));
  assert.equal(stateHashHex(tradingStateCodec, restored), stateHashHex(tradingStateCodec, a.state));
  const b = run([{ ...start, lease_epoch: 2 }, ...ticks.slice(6)], restored);
  assert.equal((b.events[0]!.payload as { after_crash: boolean }).after_crash, true);
  assert.equal(engineStateHash(b.state.engine), runBacktest(config, bars).summary.state_hash);
});

test('a tick already processed is refused (no duplicate), and a tick before start is impossible', () => {
  const a = run([start, ...ticks.slice(0, 3)]);
  assert.throws(() => kernel.decider.decide(ticks[2]!, a.state), /not after the last tick/);
  assert.throws(() => kernel.decider.decide(ticks[0]!, kernel.decider.initialState()), BookCommandError);
  assert.throws(() => minimalBookKernel.decider.decide(ticks[0]!, minimalBookKernel.decider.initialState()), /no market ticks/);
});

test('a pause before the first tick reaches the engine when it starts; resume after; no trades while paused', () => {
  const { state, events } = run([start, op(1, 'book.pause'), ...ticks.slice(0, 8), op(2, 'book.resume')]);
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf('book.paused') > types.indexOf('book.started'));
  assert.equal(events.filter((e) => e.type === 'order.placed').length, 0, 'no orders while paused');
  assert.equal(state.engine.paused, false);
  assert.equal(state.book.status, 'ACTIVE');
  assert.equal(state.book.last_inbox_id, 2);
});

test('flatten: rejected before the first tick and for a symbol the book does not trade; applied once with the engine flatten', () => {
  const a = run([start, op(1, 'book.flatten')]);
  assert.match(String((a.events.at(-1)!.payload as { why: string }).why), /no market tick/);
  const b = run([op(2, 'book.flatten', { symbols: ['ETH/USD'] }), op(3, 'book.halt')], run([start, ...ticks.slice(0, 6)]).state);
  assert.deepEqual(b.events.map((e) => e.type), ['operator.command_rejected', 'operator.command_rejected']);
  assert.match(String((b.events[1]!.payload as { why: string }).why), /book\.flatten/);
  const held = run([start, ...ticks.slice(0, 12)]).state;
  assert.deepEqual(Object.keys(held.engine.ledger.lots), ['BTC/USD'], 'the fixture holds BTC after 12 bars');
  const f = run([op(4, 'book.flatten', { reason: 'test', symbols: ['BTC/USD'] })], held);
  assert.equal(f.events[0]!.type, 'operator.command_applied');
  assert.deepEqual(kernel.decider.decide(op(4, 'book.flatten'), f.state), [], 'answered once');
  const placed = f.events.filter((e) => e.type === 'order.placed').map((e) => e.payload as { side: string; time_ms?: number });
  assert.deepEqual(placed.map((p) => p.side), ['sell'], 'a market sell was placed');
  assert.ok(f.events.slice(1).every((e) => e.time_ms === held.engine.time_ms), 'engine effects at market time');
  const next = run([ticks[12]!], f.state);
  assert.deepEqual(Object.keys(next.state.engine.ledger.lots), [], 'flat after the next tick');
});
