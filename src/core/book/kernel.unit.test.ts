/**
 * The book kernel as the drivers use it: the runtime's command sequence and the backtest driver
 * (src/backtest/run.ts) fed the same candles and commands end in the SAME state hash, fills
 * fingerprint and event bytes; a restart (crash, snapshot round trip, runtime.start after_crash)
 * continues to the same book; operator commands are answered once per inbox id and reach the book;
 * runtime.start / stop rules; the book with no market (bookKernel(null)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, type CanonicalValue } from '../canonical/index.js';
import { BACKTEST_OWNER } from '../../backtest/run.js';
import { FillFingerprint } from '../../backtest/summary.js';
import { backtest, BookHarness, candlesOf, given, H, opCommand, P, startCommand, T0 } from '../../../test/support/book.js';
import { BookCommandError, bookKernel, encodeEvent, evolve, encodeState, initialBookState, ticksOf, type BookConfigInput, type BookEvent, type BookState, type RuntimeCommand } from './index.js';

const closes = [20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 19900, 19800, 20000, 20400, 20500, 20300, 20000];
const bars = candlesOf(closes);
const config: BookConfigInput = {
  book_id: 'main', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
};
const ticks = ticksOf(['BTC/USD'], 3600, bars).map((t): RuntimeCommand => ({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));
const lastTick = T0 + closes.length * H;
/** The commands the backtest driver issues around its ticks. */
const backtestStart: RuntimeCommand = { kind: 'runtime.start', time_ms: T0, book_id: 'main', execution_plane: 'PAPER', owner: BACKTEST_OWNER, lease_epoch: 0 };
const backtestStop: RuntimeCommand = { kind: 'runtime.stop', time_ms: lastTick, reason: 'backtest complete' };

function fingerprint(events: readonly BookEvent[]): string {
  const f = new FillFingerprint();
  for (const e of events) f.add(e);
  return f.hex();
}
/** The state's canonical form without its counts of runtime events (what a restart adds to). */
const trading = (s: BookState) => canonicalJson({ ...(encodeState(s) as Record<string, CanonicalValue>), counts: null });

test('the runtime and the backtest fed the same candles and commands end in the same state hash, fills and event bytes', async () => {
  const bt = await backtest(config, bars);
  assert.ok(bt.summary.fills > 0, 'the fixture trades');
  const h = new BookHarness(config);
  for (const c of [backtestStart, ...ticks, backtestStop]) h.apply(c);
  assert.equal(h.stateHash(), bt.summary.state_hash);
  assert.equal(fingerprint(h.events), bt.summary.fingerprint);
  assert.equal(canonicalJson(h.encoded as unknown as CanonicalValue), canonicalJson(bt.events as unknown as CanonicalValue), 'byte-identical events');
  assert.equal(bt.steps, ticks.length + 2);
  assert.deepEqual(h.events.slice(0, 6).map((e) => e.type), ['step.started', 'book.opened', 'runtime.started', 'step.started', 'book.started', 'cash.posted']);
  assert.equal(h.state.running, false);
});

test('a restart in the middle (crash, snapshot round trip, start after_crash) continues to the same book', async () => {
  const bt = await backtest(config, bars);
  const a = new BookHarness(config);
  for (const c of [startCommand('main', T0), ...ticks.slice(0, 6)]) a.apply(c); // then the process dies: no runtime.stop
  const restored = a.kernel.codec.decode(JSON.parse(JSON.stringify(a.kernel.codec.encode(a.state))) as CanonicalValue);
  assert.equal(a.kernel.stateHash(restored), a.stateHash());
  const b = new BookHarness(config);
  b.state = restored;
  const restart = b.apply({ ...startCommand('main', ticks[5]!.time_ms + 1000), lease_epoch: 2 });
  assert.deepEqual(restart.map((e) => e.type), ['step.started', 'runtime.started']);
  assert.equal(P(encodeEvent(restart[1]!)).after_crash, true);
  for (const c of ticks.slice(6)) b.apply(c);
  b.stop(lastTick);
  // the same commands without the snapshot round trip: the same state
  const u = new BookHarness(config);
  for (const c of [startCommand('main', T0), ...ticks.slice(0, 6), { ...startCommand('main', ticks[5]!.time_ms + 1000), lease_epoch: 2 }, ...ticks.slice(6)]) u.apply(c);
  u.stop(lastTick);
  assert.equal(b.stateHash(), u.stateHash());
  assert.equal(b.state.counts.starts, 2);
  // and the same trading book as the uninterrupted backtest: same fills, same state but for the runtime counts
  assert.equal(fingerprint([...a.events, ...b.events]), bt.summary.fingerprint);
  assert.equal(trading(b.state), trading(bt.state));
});

test('a tick already processed is refused (no duplicate); a tick before start is impossible; the book with no market takes no tick', () => {
  const h = new BookHarness(config);
  h.start(T0);
  for (const c of ticks.slice(0, 3)) h.apply(c);
  assert.throws(() => h.kernel.decider.decide(ticks[2]!, h.state), /not after the last tick/);
  assert.throws(() => given(h.kernel).when(ticks[0]!), BookCommandError);
  const minimal = bookKernel(null);
  assert.throws(() => given(minimal).when(ticks[0]!), /no market/);
  const started = minimal.decider.step(startCommand('main', T0), minimal.decider.initialState());
  assert.throws(() => given(minimal, started).when(ticks[0]!), /takes no market ticks/);
});

test('a pause before the first tick holds when the book starts trading; resume after; no orders while paused', () => {
  const h = new BookHarness(config);
  h.start(T0);
  h.op('book.pause');
  for (const c of ticks.slice(0, 8)) h.apply(c);
  h.op('book.resume');
  const types = h.events.map((e) => e.type);
  assert.ok(types.includes('book.started'));
  assert.ok(!types.includes('order.placed') && !types.includes('signal.emitted'), 'no signals and no orders while paused');
  assert.equal(h.state.status, 'ACTIVE');
  assert.equal(h.state.last_inbox_id, 2);
  assert.equal(h.state.counts.commands_applied, 2);
});

test('flatten: rejected before the first tick and for a symbol the book does not trade; applied once, its orders at market time', () => {
  const fresh = new BookHarness(config);
  fresh.start(T0);
  assert.match(String(P(encodeEvent(fresh.op('book.flatten').at(-1)!)).why), /no market tick/);
  const h = new BookHarness(config);
  h.start(T0);
  for (const c of ticks.slice(0, 6)) h.apply(c);
  const rejected = [...h.apply(opCommand(2, 'book.flatten', { symbols: ['ETH/USD'] })), ...h.apply(opCommand(3, 'book.halt'))];
  assert.deepEqual(rejected.map((e) => e.type), ['step.started', 'operator.command_rejected', 'step.started', 'operator.command_rejected']);
  assert.match(String(P(encodeEvent(rejected[1]!)).why), /ETH\/USD.* not traded/);
  assert.match(String(P(encodeEvent(rejected[3]!)).why), /unknown command.*book\.flatten/);
  for (const c of ticks.slice(6, 12)) h.apply(c);
  assert.deepEqual(Object.keys(h.state.ledger.lots), ['BTC/USD'], 'the fixture holds BTC after 12 bars');
  const market = h.state.time_ms;
  const f = h.apply(opCommand(4, 'book.flatten', { reason: 'test', symbols: ['BTC/USD'] }, market + 5000));
  assert.deepEqual(f.slice(0, 2).map((e) => e.type), ['step.started', 'operator.command_applied']);
  assert.deepEqual(given(h.kernel, h.events).when(opCommand(4, 'book.flatten', null, market + 6000)).then([]), [], 'answered once: a repeated inbox id yields no event');
  assert.deepEqual(given(h.kernel, h.events).when(opCommand(3, 'book.resume')).then([]), [], 'nor does an older one');
  const placed = f.filter((e) => e.type === 'order.placed').map((e) => P(encodeEvent(e)));
  assert.deepEqual(placed.map((p) => p.side), ['sell'], 'a market sell was placed');
  assert.ok(f.slice(2).every((e) => e.time_ms === market), 'the flatten\'s effects are at market time');
  h.apply(ticks[12]!);
  assert.deepEqual(Object.keys(h.state.ledger.lots), [], 'flat after the next tick');
});

test('runtime.start opens the book once, a start without a stop is after_crash, another book or plane is refused; stop needs a start', () => {
  const k = bookKernel(null);
  const start = startCommand('main', 1000);
  const first = given(k).when(start).then(['step.started', 'book.opened', 'runtime.started']);
  assert.deepEqual(P(encodeEvent(first[1]!)), { book_id: 'main', execution_plane: 'PAPER' });
  assert.equal(P(encodeEvent(first[2]!)).after_crash, false);
  const again = given(k, first).when({ ...start, time_ms: 2000 }).then(['step.started', 'runtime.started']);
  assert.equal(P(encodeEvent(again[1]!)).after_crash, true);
  assert.throws(() => given(k, first).when({ ...start, execution_plane: 'SHADOW' }), BookCommandError);
  assert.throws(() => given(k, first).when({ ...start, book_id: 'other' }), /holds book main/);
  assert.throws(() => given(k).when({ ...start, book_id: 'Bad Id' }), BookCommandError);
  assert.throws(() => given(bookKernel(null)).when({ kind: 'runtime.stop', time_ms: 1, reason: 'signal' }), /without a runtime.started/);
  const stopped = given(k, first).when({ kind: 'runtime.stop', time_ms: 3000, reason: 'SIGTERM' }).then(['step.started', 'runtime.stopped']);
  const s = given(k, [...first, ...stopped]).state;
  assert.equal(s.running, false);
  assert.equal(s.counts.stops, 1);
  assert.throws(() => given(new BookHarness(config).kernel).when(startCommand('other', 1)), /book config is for book main/);
});

test('the book with no market: pause / resume applied, repeats, unknown commands (book.flatten too) and bad payloads rejected with a reason', () => {
  const h = new BookHarness(null);
  h.start(1000);
  assert.deepEqual(h.op('book.pause').map((e) => e.type), ['step.started', 'operator.command_applied']);
  const rest = [...h.op('book.pause'), ...h.op('book.resume'), ...h.op('book.flatten'), ...h.op('book.pause', { size: 1 }), ...h.op('book.pause', { reason: 'r'.repeat(501) })];
  const answers = rest.filter((e) => e.type !== 'step.started').map((e) => encodeEvent(e));
  assert.deepEqual(answers.map((e) => e.type), ['operator.command_rejected', 'operator.command_applied', 'operator.command_rejected', 'operator.command_rejected', 'operator.command_rejected']);
  assert.match(String(P(answers[0]).why), /already PAUSED/);
  assert.match(String(P(answers[2]).why), /unknown command \(known: book\.pause, book\.resume\)/);
  assert.match(String(P(answers[3]).why), /unknown payload field/);
  assert.match(String(P(answers[4]).why), /reason is 501 characters/, 'an overlong reason is rejected, not truncated');
  assert.equal(h.state.status, 'ACTIVE');
  assert.equal(h.state.last_inbox_id, 6);
  assert.deepEqual([h.state.counts.commands_applied, h.state.counts.commands_rejected], [2, 4]);
  // the fold of the stored events is the same state
  let folded = initialBookState();
  for (const e of h.encoded) folded = h.kernel.applyStored(folded, e);
  assert.equal(h.kernel.stateHash(folded), h.stateHash());
  assert.throws(() => evolve(initialBookState(), { type: 'order.filled', time_ms: 1, payload: {} } as unknown as BookEvent), /does not know event type/);
});
