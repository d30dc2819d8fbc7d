/**
 * The book decider on tiny hand-built bars (each case needs a specific price path): an order
 * decided at the close of T fills against T+1's open; tiers change as drawdown crosses the
 * thresholds and the halted tier denies orders; an order that needs leverage is denied with its
 * reason; the fold of the events equals the state the steps built; operator pause / flatten /
 * resume; the invariant check fires on a corrupted state and nothing of the step is returned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import type { CanonicalValue } from '../canonical/index.js';
import { fold } from '../decider/index.js';
import { BookHarness, candlesOf, given, H, ofType, opCommand, P, runBook, T0 } from '../../../test/support/book.js';
import { cloneState, encodeEvent, stateHash, type BookConfigInput, type BookEvent, type EventType } from './index.js';

/** A typed event's payload as stored (canonical JSON). */
const PE = (e: BookEvent | undefined) => P(e === undefined ? undefined : encodeEvent(e));
const config = (o: Partial<BookConfigInput> = {}): BookConfigInput => ({
  book_id: 'unit', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000', ...o,
});

test('no lookahead: an entry decided at the close of T is placed at T and fills at T+1 open + slippage', () => {
  // warm-up 4; closes from i=3: 20000 (first sign -), 20100 (up-cross at i=4 -> enter)
  const bars = candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20300], { open: (i, c) => (i === 5 ? 20150.3 : c) });
  const events = runBook(config(), bars).encoded;
  const placed = ofType(events, 'order.placed');
  const fills = ofType(events, 'fill.executed');
  assert.equal(placed.length, 1);
  assert.equal(placed[0]?.time_ms, T0 + 5 * H, 'placed at the close of bar 4 (= open of bar 5)');
  assert.equal(fills[0]?.time_ms, T0 + 6 * H, 'filled during bar 5, recorded at its close');
  // bar 5 opens 20150.3; 5 bps default slippage: 20150.3 * 1.0005 = 20160.375.. -> ceil to 20160.4
  assert.equal(P(fills[0]).price, '20160.4');
  assert.equal(P(fills[0]).bar_open_time_ms, T0 + 5 * H);
  // sized at 40 % of 10000 equity / (20100 * 1.0005 * 1.004) -> qty rounded down to 8 decimals
  const expectedQty = Decimal.parse('4000').div(Decimal.parse('20100').mul(Decimal.parse('1.0005')).mul(Decimal.parse('1.004')), 8, 'down');
  assert.equal(P(fills[0]).qty, expectedQty.toString());
  // taker fee 0.40 % of cost, half-even to 5 decimals
  const cost = Decimal.parse('20160.4').mul(expectedQty);
  assert.equal(P(fills[0]).fee, cost.mul(Decimal.parse('0.004')).round(5, 'half_even').toString());
  // provenance chain: signal -> intent -> directive -> policy verdict -> approved -> run -> order
  const sig = P(ofType(events, 'signal.emitted')[0]);
  assert.equal(sig.skill, 'sma-cross@1');
  assert.deepEqual(sig.params, { fast: 1, slow: 2, atr_period: 1 });
  // ATR(1) = true range of bar 4: max(20110 - 20090, |20110 - 20000|, |20090 - 20000|) = 110
  assert.deepEqual(sig.indicators, { atr: '110', sma_fast: '20100', sma_slow: '20050' });
  const dir = P(ofType(events, 'directive.proposed')[0]).directive as Record<string, CanonicalValue>;
  assert.equal(dir.issued_by, 'sma-cross@1'.replace(/^/, 'skill:'));
  assert.equal((dir.payload as Record<string, CanonicalValue>).intent_id, P(placed[0]).intent_id);
  assert.equal((dir.provenance as Record<string, CanonicalValue>).signal_id, sig.signal_id);
  const ev = P(ofType(events, 'policy.evaluated')[0]);
  assert.deepEqual([ev.directive_id, ev.verdict, ev.policy_version], [dir.directive_id, 'ALLOW', 'default-1']);
  assert.deepEqual(ofType(events, 'directive.status_changed').slice(0, 3).map((e) => [P(e).from, P(e).to, P(e).by]),
    [['proposed', 'approved', 'policy'], ['approved', 'executing', 'orchestrator'], ['executing', 'complete', 'orchestrator']]);
});

test('fold(events) rebuilds exactly the state the steps built (same state hash)', () => {
  const h = runBook(config(), candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 19900, 20500]));
  assert.equal(stateHash(fold(h.kernel.decider, h.events)), h.stateHash());
  assert.ok(h.state.fills >= 2, 'the path enters and exits');
});

test('drawdown tiers: normal -> reduced -> reducing_only -> halted as the drawdown crosses 10/20/30 %; halted denies', () => {
  // rsi-reversion holds through the fall (stop loss 90 %): RSI(2) < 30 after the drop to 20000 -> limit bid;
  // bar 11 opens through it (gap) and fills; the fall then drives the drawdown through every tier;
  // the bounce to 13500 (RSI 60 > 55) asks to exit, in the halted tier.
  const cfg = config({
    skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { period: 2, rsi_window: 10, stop_loss_pct: 90 } }],
    sizing: { mode: 'pct_equity', pct: '100' }, risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100' } },
  });
  const path = [20000, 20100, 20200, 20300, 20400, 20500, 20600, 20700, 20800, 20900, 20000, 19000, 17000, 16000, 15000, 14000, 13000, 12000, 13500];
  const h = runBook(cfg, candlesOf(path));
  const events = h.encoded;
  assert.equal(ofType(events, 'fill.executed').length, 1);
  const changes = ofType(events, 'risk.tier_changed').map((e) => [P(e).from, P(e).to, e.time_ms]);
  assert.deepEqual(changes.map((c) => c.slice(0, 2)), [['normal', 'reduced'], ['reduced', 'reducing_only'], ['reducing_only', 'halted']]);
  // at 17000, 15000, 13000 (bars 12, 14, 16): recompute each drawdown from the marks
  assert.deepEqual(changes.map((c) => c[2]), [T0 + 13 * H, T0 + 15 * H, T0 + 17 * H]);
  for (const e of ofType(events, 'risk.tier_changed')) {
    const dd = Number(P(e).drawdown_pct);
    const to = P(e).to;
    assert.ok(to === 'reduced' ? dd >= 10 && dd < 20 : to === 'reducing_only' ? dd >= 20 && dd < 30 : dd >= 30, `${String(to)} at ${dd} %`);
    assert.equal(P(e).profile, 'default@1', 'a tier change names the risk profile it applied');
  }
  const marks = ofType(events, 'mark.recorded').map((e) => P(e));
  for (const m of marks) {
    const peak = Decimal.parse(m.peak_equity as string);
    const eq = Decimal.parse(m.equity as string);
    assert.equal(m.drawdown_pct, peak.sub(eq).mul(Decimal.of(100)).div(peak, 4, 'half_even').toString());
  }
  const last = P(ofType(events, 'policy.evaluated').at(-1));
  assert.equal(last.verdict, 'BLOCK');
  const blocking = (last.results as { rule: string; verdict: string; reason: string }[]).filter((r) => r.verdict === 'BLOCK');
  assert.deepEqual(blocking.map((r) => r.rule), ['risk:default@1'], 'the rule names the risk profile and its version');
  assert.match(blocking[0]!.reason, /^tier_halted: /);
  assert.equal(P(ofType(events, 'signal.emitted').at(-1)).reason, 'rsi_recovered');
  assert.equal(h.state.tier, 'halted');
  assert.equal(marks.at(-1)?.tier, 'halted');
});

test('an order that would need leverage is denied with its reason, and no order is placed', () => {
  const h = runBook(config({ sizing: { mode: 'fixed_qty', qty: '1' }, risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', total_exposure_pct_max: '100' } } }),
    candlesOf([200, 200, 201, 200, 201, 202, 203].map((x) => x * 100)));
  const d = ofType(h.encoded, 'policy.evaluated');
  assert.equal(d.length, 1);
  // 1 BTC at 20100 (+ slippage + fee) needs more than the 10000 of cash: refused, not shrunk
  assert.equal(P(d[0]).verdict, 'BLOCK');
  const results = P(d[0]).results as { rule: string; verdict: string; reason: string }[];
  assert.match(results.find((r) => r.verdict === 'BLOCK')!.reason, /^would_need_leverage: /);
  assert.deepEqual(ofType(h.encoded, 'directive.status_changed').map((e) => [P(e).from, P(e).to, P(e).by]), [['proposed', 'blocked', 'policy']]);
  assert.equal(ofType(h.encoded, 'order.placed').length, 0);
});

test('operator commands: pause stops the skills, flatten sells at market time and fills on the next bar, resume makes the book ACTIVE', () => {
  const bars = candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20300, 20400]);
  const h = new BookHarness(config());
  h.start(T0);
  h.ticks(bars.slice(0, 6));
  assert.deepEqual(Object.keys(h.state.ledger.lots), ['BTC/USD'], 'entered');
  const market = h.state.time_ms;
  const cmdAt = market + 60_000; // an operator's command arrives between bars
  // given the run so far, when paused: the command is applied and the status is PAUSED (no other event)
  const pause = given(h.kernel, h.events).when(opCommand(1, 'book.pause', { reason: 'test' }, cmdAt)).then(['step.started', 'operator.command_applied']);
  assert.deepEqual([PE(pause[1]).status_before, PE(pause[1]).status_after], ['ACTIVE', 'PAUSED']);
  h.op('book.pause', { reason: 'test' }, cmdAt);
  assert.equal(h.state.status, 'PAUSED');
  const fl = h.op('book.flatten', { reason: 'test' }, cmdAt);
  assert.deepEqual(fl.map((e) => e.type), ['step.started', 'operator.command_applied', 'intent.created', 'order.placed']);
  assert.deepEqual(fl.map((e) => e.time_ms), [cmdAt, cmdAt, market, market], 'the flatten\'s order is decided at the book\'s market time');
  assert.deepEqual(PE(fl[2]).sizing, { mode: 'flatten', by: 'test' }, 'an operator\'s flatten: no risk rule in the way, the operator named');
  assert.equal(PE(fl[3]).side, 'sell');
  assert.equal(h.state.status, 'PAUSED', 'a flatten does not change the status');
  const next = h.tick([bars[6]!]);
  const types = next.map((e) => e.type);
  assert.ok(types.includes('fill.executed') && types.includes('trade.closed'), 'flattened at the next bar');
  assert.deepEqual(Object.keys(h.state.ledger.lots), [], 'flat');
  assert.ok(!types.includes('signal.emitted') && !types.includes('skill.memory_set'), 'paused: no skills ran');
  const res = h.op('book.resume');
  assert.deepEqual(res.map((e) => e.type), ['step.started', 'operator.command_applied']);
  assert.deepEqual([PE(res[1]).status_before, PE(res[1]).status_after], ['PAUSED', 'ACTIVE']);
  assert.equal(h.state.status, 'ACTIVE');
  assert.throws(() => h.tick([bars[6]!]), /not after/);
});

test('the invariant check fires on a corrupted state (fills and lots disagree, cash off) and nothing of the step is returned', () => {
  const bars = candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20300]);
  const h = runBook(config(), bars.slice(0, 5));
  assert.equal(h.state.orders.length, 1, 'an entry is working: the next tick fills it (a tick with a fill is checked in full)');
  const tick = { kind: 'market.tick' as const, time_ms: T0 + 6 * H, candles: [bars[5]!] };
  assert.ok(given(h.kernel, h.events).when(tick).events.some((e) => e.type === 'fill.executed'), 'the uncorrupted state fills and passes');
  const corrupted = cloneState(h.state);
  corrupted.positions.set('BTC/USD', Decimal.parse('0.00000001'));
  const before = stateHash(corrupted);
  assert.throws(() => h.kernel.decider.decide(tick, corrupted), /invariant: BTC\/USD position/);
  assert.equal(stateHash(corrupted), before, 'decide never changes the state it is given');
  const noCash = cloneState(h.state);
  noCash.ledger = { ...noCash.ledger, cash: noCash.ledger.cash.add(Decimal.ONE) };
  h.state = noCash;
  const n = h.events.length;
  assert.throws(() => h.tick([bars[5]!]), /invariant: cash \+ open cost basis/);
  assert.equal(h.events.length, n, 'no event of the failed step');
});

test('step.started begins every step and names its command', () => {
  const h = new BookHarness(config());
  const steps: [string, readonly EventType[]][] = [];
  const record = (kind: string, events: readonly { type: EventType }[]) => steps.push([kind, events.map((e) => e.type)]);
  record('runtime.start', h.start(T0));
  record('operator.command', h.op('book.pause'));
  for (const c of candlesOf([20000, 20100, 20200])) record('market.tick', h.tick([c]));
  record('runtime.stop', h.stop());
  for (const [kind, types] of steps) assert.equal(types[0], 'step.started', kind);
  const started = h.encoded.filter((e) => e.type === 'step.started').map((e) => P(e));
  assert.deepEqual(started.map((p) => [p.command, p.inbox_id, p.symbols]), [
    ['runtime.start', null, null], ['operator.command', 1, null],
    ['market.tick', null, ['BTC/USD']], ['market.tick', null, ['BTC/USD']], ['market.tick', null, ['BTC/USD']], ['runtime.stop', null, null],
  ]);
  assert.equal(h.events.filter((e) => e.type === 'step.started').length, steps.length);
});

test('close remainder: an exit partly filled on thin bars that expires is re-placed at once until flat, so the next entry is not blocked', () => {
  // sign of SMA(1) - SMA(2) = sign of the close's change: up-cross at 4 (enter), down-cross at 7 (exit), up-cross at 11 (enter again)
  const closes = [20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 20050, 20000, 19950, 20100, 20200, 20300];
  const volume = (i: number) => (i === 8 || i === 9 ? '0.3' : '1000'); // 10 % of 0.3 = 0.03 a bar
  const bars = candlesOf(closes).map((c, i) => ({ ...c, volume: Decimal.parse(volume(i)) }));
  const cfg = config({ sizing: { mode: 'fixed_qty', qty: '0.1' }, execution: { slippage_bps: '0', impact_bps_per_volume_pct: '0', participation_pct_max: '10', market_expire_bars: 2 } });
  const h = runBook(cfg, bars);
  const events = h.encoded;
  const fills = ofType(events, 'fill.executed').map((e) => [P(e).order_id, P(e).side, P(e).qty, P(e).bar_open_time_ms]);
  assert.deepEqual(fills, [
    ['O1', 'buy', '0.1', T0 + 5 * H],
    ['O2', 'sell', '0.03', T0 + 8 * H], ['O2', 'sell', '0.03', T0 + 9 * H], // the exit, capped on the thin bars
    ['O3', 'sell', '0.04', T0 + 10 * H], // its re-placement, from the bar after the expiry
    ['O4', 'buy', '0.1', T0 + 12 * H], // the next up-cross entered: the book was flat
  ]);
  // at the close of bar 9: O2 expires and O3 is placed for the remainder, recorded like any order
  const at9 = events.filter((e) => e.time_ms === T0 + 10 * H && ['order.closed', 'intent.created', 'directive.proposed', 'order.placed'].includes(e.type));
  assert.deepEqual(at9.map((e) => e.type), ['order.closed', 'intent.created', 'order.placed'], 'a re-placement continues an approved directive: no new directive');
  assert.deepEqual(P(at9[0]), { order_id: 'O2', status: 'expired', filled_qty: '0.06', reason: 'not filled within 2 bars' });
  assert.deepEqual(P(at9[1]), { intent_id: 'I3', signal_id: null, symbol: 'BTC/USD', side: 'sell', order_type: 'market', qty: '0.04', limit_price: null, stop_price: null, unit_cost: '20000', ref_price: '20000', sizing: { mode: 'close_remainder', replaces: 'O2' } });
  assert.deepEqual(P(at9[2]), { order_id: 'O3', intent_id: 'I3', symbol: 'BTC/USD', side: 'sell', order_type: 'market', qty: '0.04', limit_price: null, stop_price: null, unit_cost: '20000', ref_price: '20000', expire_bars: 2 });
  assert.equal(h.state.ledger.trades_closed, 1);
  assert.equal(stateHash(fold(h.kernel.decider, h.events)), h.stateHash(), 'the re-placement folds like any order');
  // an operator flatten is a close too: on thin bars (0.03 a bar) it is re-placed until flat, and meanwhile the
  // skill sees a position with a working sell (the down-cross at 7 emits no second exit)
  const f = new BookHarness(cfg);
  f.start(T0);
  const thin = bars.map((c, i) => (i >= 6 ? { ...c, volume: Decimal.parse('0.3') } : c));
  f.ticks(thin.slice(0, 6));
  const from = f.events.length;
  f.op('book.flatten', { reason: 'test' });
  f.ticks(thin.slice(6, 11));
  const after = f.encoded.slice(from);
  assert.deepEqual(ofType(after, 'fill.executed').map((e) => [P(e).order_id, P(e).qty, P(e).bar_open_time_ms]), [
    ['O2', '0.03', T0 + 6 * H], ['O2', '0.03', T0 + 7 * H], ['O3', '0.03', T0 + 8 * H], ['O3', '0.01', T0 + 9 * H],
  ]);
  assert.deepEqual(P(ofType(after, 'intent.created')[1]).sizing, { mode: 'close_remainder', replaces: 'O2' });
  assert.deepEqual(ofType(after, 'signal.emitted'), [], 'no second exit while the remainder is being sold');
  assert.equal(f.state.positions.size, 0, 'flat in the end');
});
