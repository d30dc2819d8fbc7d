/**
 * Late data and truth epochs in the kernel, given/when/then on real Kraken hourly candles of
 * BTC/USD and ETH/USD (2023-01-02): a tick the runtime ran without a late symbol is DEGRADED with
 * data_complete SKIPPED "late:<SYMBOL>"; the late candle, recorded afterwards, is bar.late (its own
 * step) and rewrites no tick, mark or order; truth epochs advance only through their gate
 * (data complete, no critical condition, book ACTIVE), an operator override is recorded with its
 * justification, and auto mode (after an approved epoch.auto.enable) advances TE inside the tick.
 * Every run folds back to its state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanonicalValue } from '../canonical/index.js';
import { fold } from '../decider/index.js';
import { closeTimeMs, type Candle } from '../market/candle.js';
import { BookHarness, given, P } from '../../../test/support/book.js';
import { BTC_HOURLY, ETH_HOURLY, loadKrakenCsv } from '../../../test/support/candles-csv.js';
import { BookCommandError, encodeEvent, latestCompleteMs, resolveBook, TickAssembler, type BookConfigInput, type BookEvent, type RuntimeCommand } from './index.js';

type Rec = Record<string, CanonicalValue>;
const PE = (e: BookEvent | undefined): Rec => P(e === undefined ? undefined : encodeEvent(e));
const H = 3_600_000;
const FROM = Date.UTC(2023, 0, 2);
const BTC = loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { fromMs: FROM, toMs: FROM + 12 * H });
const ETH = loadKrakenCsv(ETH_HOURLY, 'ETH/USD', 3600, { fromMs: FROM, toMs: FROM + 12 * H });
const close = (i: number): number => FROM + (i + 1) * H;
const at = (list: readonly Candle[], i: number): Candle => {
  const c = list.find((x) => closeTimeMs(x) === close(i));
  assert.ok(c !== undefined, `real candle ${i} is in the data`);
  return c;
};

const config = (o: Partial<BookConfigInput> = {}): BookConfigInput => ({
  book_id: 'late', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD', 'ETH/USD'], params: { fast: 2, slow: 4, atr_period: 2 } }],
  sizing: { mode: 'pct_equity', pct: '20' }, initial_cash: '10000', ...o,
});
const epochs = (o: Partial<BookConfigInput> = {}) => config({ governance: { policy: { version: 'ep-1' }, truth_epochs: 'manual' }, ...o });

/** A running book that ticked bars 0..n-1 of both symbols. */
function ticked(cfg: BookConfigInput, n: number): BookHarness {
  const h = new BookHarness(cfg);
  h.start(FROM);
  for (let i = 0; i < n; i++) h.apply({ kind: 'market.tick', time_ms: close(i), candles: [at(BTC, i), at(ETH, i)] });
  return h;
}
const foldsBack = (h: BookHarness) => assert.equal(h.kernel.stateHash(fold(h.kernel.decider, h.events)), h.stateHash(), 'the events fold to the state');
let inbox = 0;
const op = (command: string, payload: CanonicalValue, name = 'alice', time_ms = FROM): RuntimeCommand =>
  ({ kind: 'operator.command', time_ms, inbox_id: ++inbox, command, payload, issued_by: `operator:${name}` });

test('the lateness default is one bar interval (not written into the recorded config); null waits forever', () => {
  const book = resolveBook(config());
  assert.equal(book.lateness_ms, 3_600_000);
  assert.equal('lateness_ms' in ((book.config_json as Rec).data as Rec), false, 'a config without it records (and hashes) as before');
  assert.equal(resolveBook(config({ data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, lateness_ms: null } })).lateness_ms, null);
  assert.equal(resolveBook(config()).truth_epochs, 'off');
  assert.equal(resolveBook(epochs()).truth_epochs, 'manual');
  assert.throws(() => resolveBook(config({ data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, lateness_ms: -1 } })), /data\.lateness_ms/);
});

test('given a running book, when the tick at T runs without ETH (skipped as late), then it is DEGRADED with data_complete SKIPPED late:ETH/USD', () => {
  const h = ticked(config(), 5);
  const out = given(h.kernel, h.events).when({ kind: 'market.tick', time_ms: close(5), candles: [at(BTC, 5)], skipped: ['ETH/USD'] }).events;
  assert.deepEqual(PE(out[0]), { command: 'market.tick', inbox_id: null, symbols: ['BTC/USD'] });
  assert.deepEqual(out.filter((e) => e.type === 'bar.closed').map((e) => PE(e).symbol), ['BTC/USD']);
  const done = out.at(-1)!;
  assert.equal(done.type, 'tick.completed');
  assert.equal(PE(done).status, 'DEGRADED');
  assert.deepEqual((PE(done).tasks as Rec[])[0], { task: 'data_complete', outcome: 'SKIPPED', reason: 'late:ETH/USD' });
  // a bad skipped list is an impossible command: nothing is written
  assert.throws(() => h.kernel.decider.decide({ kind: 'market.tick', time_ms: close(5), candles: [at(BTC, 5), at(ETH, 5)], skipped: ['ETH/USD'] }, h.state), BookCommandError);
  assert.throws(() => h.kernel.decider.decide({ kind: 'market.tick', time_ms: close(5), candles: [at(BTC, 5)], skipped: ['SOL/USD'] }, h.state), BookCommandError);
});

test('given ticks that skipped ETH, when its candles arrive late, then each is bar.late in its own step and no tick, mark or order changes', () => {
  const h = ticked(config(), 5);
  h.apply({ kind: 'market.tick', time_ms: close(5), candles: [at(BTC, 5)], skipped: ['ETH/USD'] });
  h.apply({ kind: 'market.tick', time_ms: close(6), candles: [at(BTC, 6)], skipped: ['ETH/USD'] });
  const before = { ticks: h.state.ticks, time_ms: h.state.time_ms, equity: h.state.equity.toString(), orders: h.state.orders.length, bars: h.state.bars };
  const out = given(h.kernel, h.events).when({ kind: 'market.late', time_ms: close(5), candle: at(ETH, 5) }).then(['step.started', 'bar.late']);
  assert.deepEqual(PE(out[0]), { command: 'market.late', inbox_id: null, symbols: ['ETH/USD'] });
  assert.equal(PE(out[1]).close, at(ETH, 5).close.toString());
  h.apply({ kind: 'market.late', time_ms: close(5), candle: at(ETH, 5) });
  assert.deepEqual({ ticks: h.state.ticks, time_ms: h.state.time_ms, equity: h.state.equity.toString(), orders: h.state.orders.length, bars: h.state.bars }, before);
  assert.equal(closeTimeMs(h.state.history.get('ETH/USD')!.candles.at(-1)!), close(5), 'later ticks see it as ETH\'s newest bar');
  // the same candle again, or one not late (after the last tick), is refused: nothing is written
  assert.throws(() => h.kernel.decider.decide({ kind: 'market.late', time_ms: close(5), candle: at(ETH, 5) }, h.state), /not after its last recorded bar/);
  assert.throws(() => h.kernel.decider.decide({ kind: 'market.late', time_ms: close(7), candle: at(ETH, 7) }, h.state), /is not late/);
  h.apply({ kind: 'market.late', time_ms: close(6), candle: at(ETH, 6) });
  // the next tick is complete again: no outcome
  const next = h.apply({ kind: 'market.tick', time_ms: close(7), candles: [at(BTC, 7), at(ETH, 7)] });
  assert.equal(next.some((e) => e.type === 'tick.completed'), false);
  foldsBack(h);
});

test('truth epochs off: epoch.advance is rejected and ticks need no epoch', () => {
  const h = ticked(config(), 2);
  const out = h.apply(op('epoch.advance', { to_ms: close(2), ctt: { 'BTC/USD': close(2), 'ETH/USD': close(2) }, quarantined: false, override: false, justification: null }));
  assert.equal(out[1]!.type, 'operator.command_rejected');
  assert.match(String(PE(out[1]).why), /truth epochs are off/);
});

test('given epochs on, when an operator advances TE with complete data, then epoch.advanced (manual) records the checks and the operator', () => {
  const h = new BookHarness(epochs());
  h.start(FROM);
  const ctt = { 'BTC/USD': close(3), 'ETH/USD': close(3) };
  const out = given(h.kernel, h.events).when(op('epoch.advance', { to_ms: close(3), ctt, quarantined: false, override: false, justification: null }))
    .then(['step.started', 'operator.command_applied', 'epoch.advanced']);
  const p = PE(out[2]);
  assert.deepEqual([p.te_ms, p.mode, p.operator, p.justification], [close(3), 'manual', 'operator:alice', null]);
  assert.deepEqual((p.checks as Rec[]).map((c) => [c.check, c.ok]), [['data_complete', true], ['no_critical', true], ['policy_compliant', true]]);
  h.apply(op('epoch.advance', { to_ms: close(3), ctt, quarantined: false, override: false, justification: null }));
  assert.equal(h.state.truth_epoch_ms, close(3));
  assert.equal(h.kernel.market!.epochAllows(h.state, close(3)), true);
  assert.equal(h.kernel.market!.epochAllows(h.state, close(4)), false, 'a tick after TE waits');
  // TE only moves forward
  const again = h.apply(op('epoch.advance', { to_ms: close(2), ctt, quarantined: false, override: false, justification: null }));
  assert.match(String(PE(again[1]).why), /already at/);
  foldsBack(h);
});

test('given epochs on, when the gate fails (data missing, book PAUSED, quarantined), then the advance is rejected naming the failed checks', () => {
  const h = new BookHarness(epochs());
  h.start(FROM);
  const missing = h.apply(op('epoch.advance', { to_ms: close(3), ctt: { 'BTC/USD': close(3), 'ETH/USD': close(1) }, quarantined: false, override: false, justification: null }));
  assert.equal(missing[1]!.type, 'operator.command_rejected');
  assert.match(String(PE(missing[1]).why), /^gate failed: data_complete: .*ETH\/USD missing/);
  // ETH late: BTC reached T + lateness (one hour): complete by the lateness rule
  const cttLate = { 'BTC/USD': close(4), 'ETH/USD': close(1) };
  assert.equal(latestCompleteMs(h.kernel.book!, cttLate, null), close(3));
  const q = h.apply(op('epoch.advance', { to_ms: close(3), ctt: cttLate, quarantined: true, override: false, justification: null }));
  assert.match(String(PE(q[1]).why), /no_critical: book quarantined/);
  h.apply(op('book.pause', { reason: 'test' }));
  const paused = h.apply(op('epoch.advance', { to_ms: close(3), ctt: cttLate, quarantined: false, override: false, justification: null }));
  assert.match(String(PE(paused[1]).why), /policy_compliant: book PAUSED/);
  assert.equal(h.state.truth_epoch_ms, null);
  // an override needs a justification; with one it is recorded with the failed checks
  const bare = h.apply(op('epoch.advance', { to_ms: close(3), ctt: cttLate, quarantined: false, override: true, justification: ' ' }));
  assert.match(String(PE(bare[1]).why), /needs a justification/);
  const ov = h.apply(op('epoch.advance', { to_ms: close(3), ctt: cttLate, quarantined: false, override: true, justification: 'exchange outage, reviewed' }, 'bob'));
  const p = PE(ov.at(-1));
  assert.deepEqual([p.mode, p.operator, p.justification], ['override', 'operator:bob', 'exchange outage, reviewed']);
  assert.deepEqual((p.checks as Rec[]).map((c) => [c.check, c.ok]), [['data_complete', true], ['no_critical', true], ['policy_compliant', false]]);
  assert.equal(h.state.truth_epoch_ms, close(3));
  // malformed: not a bar close, unknown symbol, unnamed operator
  assert.match(String(PE(h.apply(op('epoch.advance', { to_ms: close(5) + 1, ctt: cttLate, quarantined: false, override: false, justification: null }))[1]).why), /not a bar close/);
  assert.match(String(PE(h.apply(op('epoch.advance', { to_ms: close(5), ctt: { ...cttLate, 'SOL/USD': 1 }, quarantined: false, override: false, justification: null }))[1]).why), /does not trade/);
  foldsBack(h);
});

test('given epochs on and an approved epoch.auto.enable, when a tick after TE runs on an ACTIVE book, then it advances TE itself (auto)', () => {
  const h = new BookHarness(epochs());
  h.start(FROM);
  h.apply(op('epoch.advance', { to_ms: close(1), ctt: { 'BTC/USD': close(1), 'ETH/USD': close(1) }, quarantined: false, override: false, justification: null }));
  for (const i of [0, 1]) h.apply({ kind: 'market.tick', time_ms: close(i), candles: [at(BTC, i), at(ETH, i)] });
  assert.equal(h.events.some((e) => e.type === 'epoch.advanced' && e.payload.mode === 'auto'), false, 'manual mode: ticks up to TE advance nothing');
  const proposed = h.apply(op('directive.propose', { type: 'epoch.auto.enable', objective: 'follow the data' }, 'bob'));
  const id = String((PE(proposed.find((e) => e.type === 'directive.proposed')).directive as Rec).directive_id);
  assert.equal(h.state.epoch_auto, false, 'not before approval');
  h.apply(op('directive.approve', { directive_id: id }, 'carol'));
  assert.equal(h.state.epoch_auto, true);
  const out = h.apply({ kind: 'market.tick', time_ms: close(2), candles: [at(BTC, 2)], skipped: ['ETH/USD'] });
  const adv = out.find((e) => e.type === 'epoch.advanced');
  assert.ok(adv !== undefined);
  assert.deepEqual([PE(adv).te_ms, PE(adv).mode, PE(adv).operator], [close(2), 'auto', null]);
  assert.match(String(((PE(adv).checks as Rec[])[0]!).detail), /skipped as late: ETH\/USD/);
  assert.ok(out.findIndex((e) => e.type === 'epoch.advanced') < out.findIndex((e) => e.type === 'bar.closed'), 'TE moves before the tick evaluates');
  assert.equal(h.state.truth_epoch_ms, close(2));
  h.apply(op('book.pause', { reason: 'test' }));
  assert.equal(h.kernel.market!.epochAllows(h.state, close(3)), false, 'a PAUSED book fails the gate: ticks wait');
  foldsBack(h);
});

test('the tick rule: a tick waiting on a symbol is partial(); forceNext() releases it with that symbol skipped, and the next one waits again', () => {
  const a = new TickAssembler(['BTC/USD', 'ETH/USD'], 3600, null);
  a.push('BTC/USD', [0, 1, 2, 3].map((i) => at(BTC, i)));
  a.push('ETH/USD', [0, 1].map((i) => at(ETH, i)));
  assert.deepEqual(a.take().map((t) => [t.time_ms, t.candles.length]), [[close(0), 2], [close(1), 2]]);
  assert.deepEqual(a.partial(), { time_ms: close(2), missing: ['ETH/USD'] });
  const f = a.forceNext();
  assert.deepEqual([f?.time_ms, f?.candles.map((c) => c.symbol), f?.skipped], [close(2), ['BTC/USD'], ['ETH/USD']]);
  assert.deepEqual(a.take(), [], 'the next tick waits for ETH again');
  assert.deepEqual(a.partial(), { time_ms: close(3), missing: ['ETH/USD'] });
  a.end('ETH/USD');
  assert.equal(a.partial(), null, 'an ended symbol holds nothing back');
  assert.deepEqual(a.take().map((t) => t.time_ms), [close(3)]);
});
