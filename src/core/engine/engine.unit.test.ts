/**
 * The engine on tiny hand-built bars (each case needs a specific price path): an order decided at
 * the close of T fills against T+1's open; tiers change as drawdown crosses the thresholds and the
 * halted tier denies orders; an order that needs leverage is denied with its reason; the fold of
 * the events equals the state decide() built; operator commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import { fold } from '../decider/index.js';
import { engineDecider, engineStateHash, resolveBook, runBacktest, type BookConfigInput, type EngineEvent } from './index.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
function candles(closes: number[], opts: { open?: (i: number, c: number) => number; volume?: string } = {}): Candle[] {
  return closes.map((c, i) => {
    const o = opts.open?.(i, c) ?? c;
    return {
      symbol: 'BTC/USD', interval_s: 3600, open_time_ms: T0 + i * H, open: Decimal.parse(String(o)), high: Decimal.parse(String(Math.max(o, c) + 10)),
      low: Decimal.parse(String(Math.min(o, c) - 10)), close: Decimal.parse(String(c)), volume: Decimal.parse(opts.volume ?? '1000'), vwap: null, count: 100,
    };
  });
}
const config = (o: Partial<BookConfigInput> = {}): BookConfigInput => ({
  book_id: 'unit', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
  sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000', ...o,
});
const ofType = (events: readonly EngineEvent[], type: string) => events.filter((e) => e.type === type);
const P = (e: EngineEvent | undefined) => e?.payload as Record<string, unknown>;

test('no lookahead: an entry decided at the close of T is placed at T and fills at T+1 open + slippage', () => {
  // warm-up 4; closes from i=3: 20000 (first sign -), 20100 (up-cross at i=4 -> enter)
  const bars = candles([20000, 20000, 20050, 20000, 20100, 20200, 20300], { open: (i, c) => (i === 5 ? 20150.3 : c) });
  const r = runBacktest(config(), bars);
  const placed = ofType(r.events, 'order.placed');
  const fills = ofType(r.events, 'fill.executed');
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
  // provenance chain: signal -> intent -> risk decision -> order
  const sig = P(ofType(r.events, 'signal.emitted')[0]);
  assert.equal(sig.skill, 'sma-cross@1');
  assert.deepEqual(sig.params, { fast: 1, slow: 2, atr_period: 1 });
  // ATR(1) = true range of bar 4: max(20110 - 20090, |20110 - 20000|, |20090 - 20000|) = 110
  assert.deepEqual(sig.indicators, { atr: '110', sma_fast: '20100', sma_slow: '20050' });
  assert.equal(P(ofType(r.events, 'risk.decided')[0]).outcome, 'allow');
});

test('fold(events) rebuilds exactly the state the engine built (same state hash)', () => {
  const bars = candles([20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 19900, 20500]);
  const r = runBacktest(config(), bars);
  const d = engineDecider(resolveBook(config()));
  assert.equal(engineStateHash(fold(d, r.events)), r.summary.state_hash);
  assert.ok(r.summary.fills >= 2, 'the path enters and exits');
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
  const r = runBacktest(cfg, candles(path));
  assert.equal(ofType(r.events, 'fill.executed').length, 1);
  const changes = ofType(r.events, 'risk.tier_changed').map((e) => [P(e).from, P(e).to, e.time_ms]);
  assert.deepEqual(changes.map((c) => c.slice(0, 2)), [['normal', 'reduced'], ['reduced', 'reducing_only'], ['reducing_only', 'halted']]);
  // at 17000, 15000, 13000 (bars 12, 14, 16): recompute each drawdown from the marks
  assert.deepEqual(changes.map((c) => c[2]), [T0 + 13 * H, T0 + 15 * H, T0 + 17 * H]);
  for (const e of ofType(r.events, 'risk.tier_changed')) {
    const dd = Number(P(e).drawdown_pct);
    const to = P(e).to;
    assert.ok(to === 'reduced' ? dd >= 10 && dd < 20 : to === 'reducing_only' ? dd >= 20 && dd < 30 : dd >= 30, `${String(to)} at ${dd} %`);
  }
  const marks = ofType(r.events, 'mark.recorded').map((e) => P(e));
  for (const m of marks) {
    const peak = Decimal.parse(m.peak_equity as string);
    const eq = Decimal.parse(m.equity as string);
    assert.equal(m.drawdown_pct, peak.sub(eq).mul(Decimal.of(100)).div(peak, 4, 'half_even').toString());
  }
  const decided = ofType(r.events, 'risk.decided');
  const last = P(decided.at(-1));
  assert.equal(last.outcome, 'deny');
  assert.deepEqual((last.reasons as { code: string }[]).map((x) => x.code), ['tier_halted']);
  assert.equal(P(ofType(r.events, 'signal.emitted').at(-1)).reason, 'rsi_recovered');
  assert.equal(r.state.tier, 'halted');
  assert.equal(marks.at(-1)?.tier, 'halted');
});

test('an order that would need leverage is denied with its reason, and no order is placed', () => {
  const r = runBacktest(config({ sizing: { mode: 'fixed_qty', qty: '1' }, risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', total_exposure_pct_max: '100' } } }),
    candles([200, 200, 201, 200, 201, 202, 203].map((x) => x * 100)));
  const d = ofType(r.events, 'risk.decided');
  assert.equal(d.length, 1);
  // 1 BTC at 20100 (+ slippage + fee) needs more than the 10000 of cash: refused, not shrunk
  assert.equal(P(d[0]).outcome, 'deny');
  assert.deepEqual((P(d[0]).reasons as { code: string }[]).map((x) => x.code), ['would_need_leverage']);
  assert.equal(ofType(r.events, 'order.placed').length, 0);
});

test('operator commands: pause stops skills, flatten sells everything at the next bar, resume rebases the peak', () => {
  const book = resolveBook(config({ sizing: { mode: 'pct_equity', pct: '40' } }));
  const d = engineDecider(book);
  const bars = candles([20000, 20000, 20050, 20000, 20100, 20200, 20300, 20400]);
  let s = d.step({ type: 'start', time_ms: T0 }, d.initialState()).state;
  for (const c of bars.slice(0, 6)) s = d.step({ type: 'bar_closed', time_ms: c.open_time_ms + H, candles: [c] }, s).state;
  assert.ok(Object.keys(s.ledger.lots).length === 1, 'entered');
  const paused = d.step({ type: 'pause', time_ms: s.time_ms, reason: 'test' }, s);
  assert.deepEqual(paused.events.map((e) => e.type), ['book.paused']);
  const fl = d.step({ type: 'flatten', time_ms: s.time_ms, reason: 'test', symbols: null }, paused.state);
  assert.deepEqual(fl.events.map((e) => e.type), ['intent.created', 'risk.decided', 'order.placed']);
  const next = d.step({ type: 'bar_closed', time_ms: (bars[6] as Candle).open_time_ms + H, candles: [bars[6] as Candle] }, fl.state);
  assert.ok(next.events.some((e) => e.type === 'trade.closed'), 'flattened at the next bar');
  assert.ok(!next.events.some((e) => e.type === 'signal.emitted'), 'paused: no skills ran');
  const res = d.step({ type: 'resume', time_ms: next.state.time_ms, reason: 'test', rebase_peak: true }, next.state);
  assert.equal(P(res.events[0]).rebased_peak, next.state.equity.toString());
  assert.throws(() => d.step({ type: 'bar_closed', time_ms: (bars[6] as Candle).open_time_ms + H, candles: [bars[6] as Candle] }, res.state), /not after/);
});

test('the per-tick invariant check fires on a corrupted state (fills and lots disagree) and nothing is returned', () => {
  const d = engineDecider(resolveBook(config()));
  const bars = candles([20000, 20000, 20050, 20000, 20100, 20200, 20300]);
  let s = d.step({ type: 'start', time_ms: T0 }, d.initialState()).state;
  for (const c of bars.slice(0, 6)) s = d.step({ type: 'bar_closed', time_ms: c.open_time_ms + H, candles: [c] }, s).state;
  assert.ok(Object.keys(s.positions).length === 1);
  const corrupted = { ...s, positions: { 'BTC/USD': (s.positions['BTC/USD'] as Decimal).add(Decimal.parse('0.00000001')) } };
  const next = bars[6] as Candle;
  assert.throws(() => d.step({ type: 'bar_closed', time_ms: next.open_time_ms + H, candles: [next] }, corrupted), /invariant: BTC\/USD position/);
  const noCash = { ...s, ledger: { ...s.ledger, cash: s.ledger.cash.add(Decimal.ONE) } };
  assert.throws(() => d.step({ type: 'bar_closed', time_ms: next.open_time_ms + H, candles: [next] }, noCash), /invariant: cash \+ open cost basis/);
});

test('close remainder: an exit partly filled on thin bars that expires is re-placed at once until flat, so the next entry is not blocked', () => {
  // sign of SMA(1) - SMA(2) = sign of the close's change: up-cross at 4 (enter), down-cross at 7 (exit), up-cross at 11 (enter again)
  const closes = [20000, 20000, 20050, 20000, 20100, 20200, 20300, 20100, 20050, 20000, 19950, 20100, 20200, 20300];
  const volume = (i: number) => (i === 8 || i === 9 ? '0.3' : '1000'); // 10 % of 0.3 = 0.03 a bar
  const bars = candles(closes).map((c, i) => ({ ...c, volume: Decimal.parse(volume(i)) }));
  const cfg = config({ sizing: { mode: 'fixed_qty', qty: '0.1' }, execution: { slippage_bps: '0', impact_bps_per_volume_pct: '0', participation_pct_max: '10', market_expire_bars: 2 } });
  const r = runBacktest(cfg, bars);
  const fills = ofType(r.events, 'fill.executed').map((e) => [P(e).order_id, P(e).side, P(e).qty, P(e).bar_open_time_ms]);
  assert.deepEqual(fills, [
    ['O1', 'buy', '0.1', T0 + 5 * H],
    ['O2', 'sell', '0.03', T0 + 8 * H], ['O2', 'sell', '0.03', T0 + 9 * H], // the exit, capped on the thin bars
    ['O3', 'sell', '0.04', T0 + 10 * H], // its re-placement, from the bar after the expiry
    ['O4', 'buy', '0.1', T0 + 12 * H], // the next up-cross entered: the book was flat
  ]);
  // at the close of bar 9: O2 expires and O3 is placed for the remainder, recorded like any order
  const at9 = r.events.filter((e) => e.time_ms === T0 + 10 * H && ['order.closed', 'intent.created', 'risk.decided', 'order.placed'].includes(e.type));
  assert.deepEqual(at9.map((e) => e.type), ['order.closed', 'intent.created', 'risk.decided', 'order.placed']);
  assert.deepEqual(P(at9[0]), { order_id: 'O2', status: 'expired', filled_qty: '0.06', reason: 'not filled within 2 bars' });
  assert.deepEqual(P(at9[1]), { intent_id: 'I3', signal_id: null, symbol: 'BTC/USD', side: 'sell', order_type: 'market', qty: '0.04', limit_price: null, stop_price: null, unit_cost: '20000', ref_price: '20000', sizing: { mode: 'close_remainder', replaces: 'O2' } });
  assert.deepEqual(P(at9[2]), { intent_id: 'I3', gate: 'engine', outcome: 'allow', qty_requested: '0.04', qty_allowed: '0.04', reasons: [{ code: 'close_remainder', detail: 're-placement of order O2: it expired with 0.04 BTC/USD still held' }], tier: 'normal' });
  assert.deepEqual(P(at9[3]), { order_id: 'O3', intent_id: 'I3', symbol: 'BTC/USD', side: 'sell', order_type: 'market', qty: '0.04', limit_price: null, stop_price: null, unit_cost: '20000', ref_price: '20000', expire_bars: 2 });
  assert.equal(r.summary.trades_closed, 1);
  const d = engineDecider(resolveBook(cfg));
  assert.equal(engineStateHash(fold(d, r.events)), r.summary.state_hash, 'the re-placement folds like any order');
  // an operator flatten is a close too: on thin bars (0.03 a bar) it is re-placed until flat, and meanwhile the
  // skill sees a position with a working sell (the down-cross at 7 emits no second exit)
  let s = d.step({ type: 'start', time_ms: T0 }, d.initialState()).state;
  const thin = bars.map((c, i) => (i >= 6 ? { ...c, volume: Decimal.parse('0.3') } : c));
  for (const c of thin.slice(0, 6)) s = d.step({ type: 'bar_closed', time_ms: c.open_time_ms + H, candles: [c] }, s).state;
  const all: EngineEvent[] = [];
  const apply = (x: { events: EngineEvent[]; state: typeof s }) => { all.push(...x.events); s = x.state; };
  apply(d.step({ type: 'flatten', time_ms: s.time_ms, reason: 'test', symbols: null }, s));
  for (const c of thin.slice(6, 11)) apply(d.step({ type: 'bar_closed', time_ms: c.open_time_ms + H, candles: [c] }, s));
  assert.deepEqual(ofType(all, 'fill.executed').map((e) => [P(e).order_id, P(e).qty, P(e).bar_open_time_ms]), [
    ['O2', '0.03', T0 + 6 * H], ['O2', '0.03', T0 + 7 * H], ['O3', '0.03', T0 + 8 * H], ['O3', '0.01', T0 + 9 * H],
  ]);
  assert.deepEqual(P(ofType(all, 'intent.created')[1]).sizing, { mode: 'close_remainder', replaces: 'O2' });
  assert.deepEqual(ofType(all, 'signal.emitted'), [], 'no second exit while the remainder is being sold');
  assert.deepEqual(s.positions, {}, 'flat in the end');
});
