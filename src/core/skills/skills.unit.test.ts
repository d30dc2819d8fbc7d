/**
 * Skills on hand-built closes (each case needs a specific shape): the sma-cross sign rule
 * (touching zero is not a cross), the Donchian campaign (enter, partial take-profit, re-entry,
 * trailing-stop exit), RSI reversion with a limit entry. Parameter validation too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import { donchianBreakout, rsiReversion, smaCross, type Skill, type SkillBar, type SkillMemory, type SignalDraft } from './index.js';

const bar = (close: number, i: number, spread = 1): SkillBar => ({ open_time_ms: i * 3_600_000, open: close, high: close + spread, low: close - spread, close, volume: 10 });

/** Runs a skill over closes, feeding its memory forward; position is driven by its own signals. */
function run<P>(skill: Skill<P>, params: P, closes: number[], spread = 1): { i: number; s: SignalDraft }[] {
  const out: { i: number; s: SignalDraft }[] = [];
  let memory: SkillMemory = null;
  let qty = Decimal.ZERO;
  const bars = closes.map((c, i) => bar(c, i, spread));
  const w = skill.warmupBars(params);
  for (let i = w - 1; i < bars.length; i++) {
    const window = bars.slice(i + 1 - w, i + 1);
    const exactCloses = (): Decimal[] => window.map((b) => Decimal.parse(String(b.close))); // the hand-built closes are short decimals: their shortest text is exact
    const d = skill.evaluate({ symbol: 'BTC/USD', params, bars: window, exactCloses, position_qty: qty, avg_entry: qty.isPositive() ? Decimal.parse('100') : null, pending_buy: false, pending_sell: false, memory });
    memory = d.memory;
    for (const s of d.signals) {
      out.push({ i, s });
      if (s.action === 'enter' || s.action === 'add') qty = qty.add(Decimal.ONE);
      if (s.action === 'exit') qty = Decimal.ZERO;
      if (s.action === 'reduce') qty = qty.mul(Decimal.parse('0.5'));
    }
  }
  return out;
}

test('sma-cross: a cross is a change from the last non-zero sign; touching zero is not a cross', () => {
  const p = smaCross.params.parse({ fast: 1, slow: 2, atr_period: 1 }); // fast - slow = (c[t] - c[t-1]) / 2
  // diffs: +, 0 (flat), + again -> touching zero then continuing is NOT a new cross
  // closes 10 11 11 12 : signs + 0 +   ; then 11: sign - -> cross down ; then 11: 0 ; then 12: + -> cross up
  // warm-up 4 (3 * atr_period + 1): first look at i=3. diffs from i=3: 0, +, -, 0, +
  // i=4 first non-zero sign (+): no cross; i=5 down-cross while flat: nothing to exit; i=6 touch 0; i=7 up-cross -> enter
  const sig = run(smaCross, p, [10, 10, 11, 11, 12, 11, 11, 12]);
  assert.deepEqual(sig.map((x) => [x.i, x.s.action, x.s.reason]), [[7, 'enter', 'sma_cross_up']]);
  const e = sig[0]?.s;
  assert.ok(e !== undefined && e.indicators.sma_fast === 12 && e.indicators.sma_slow === 11.5, 'provenance carries the indicator values');
  assert.throws(() => smaCross.params.parse({ fast: 30, slow: 10 }), /fast must be < slow/);
});

test('sma-cross: up-cross enters, down-cross exits, touches in between change nothing', () => {
  const p = smaCross.params.parse({ fast: 1, slow: 2, atr_period: 1 });
  // from i=3: - (first sign), + (up-cross: enter), 0 (touch), + (same side: nothing), - (down-cross: exit)
  const sig = run(smaCross, p, [12, 12, 12, 11, 12, 12, 13, 12]);
  assert.deepEqual(sig.map((x) => [x.i, x.s.action]), [[4, 'enter'], [7, 'exit']]);
});

test('donchian-breakout: enter on breakout, partial take-profit, re-entry on a new high, trailing-stop exit', () => {
  const p = donchianBreakout.params.parse({ entry_period: 3, atr_period: 2, stop_atr_mult: 3, tp_atr_mult: 2, tp_fraction: '0.5' });
  // spread 1 -> true range 2 per bar on flat/slow moves, ATR ~2: tp at +4, stop at peak - 6
  const closes = [100, 100, 100, 100, 100, 100, 101.5, 103, 106, 106, 106, 110, 111.5, 108, 104, 100, 95, 90];
  const sig = run(donchianBreakout, p, closes);
  const acts = sig.map((x) => x.s.action);
  assert.deepEqual(acts, ['enter', 'reduce', 'add', 'exit'], JSON.stringify(sig.map((x) => [x.i, x.s.action, x.s.reason, x.s.indicators])));
  assert.equal(sig[1]?.s.fraction, '0.5');
  // entry bar by hand: upper = max high of the 3 previous bars = 101; TR of the bar = 102.5 - 100 = 2.5;
  // Wilder ATR(2) = (2 + 2.5) / 2 = 2.25; stop = 101.5 - 3 * 2.25
  assert.deepEqual(sig[0]?.s.indicators, { donchian_upper: 101, donchian_lower: 99, atr: 2.25, close: 101.5 });
  assert.deepEqual(sig.map((x) => x.i), [6, 11, 12, 15]);
  assert.deepEqual(sig.map((x) => x.s.reason), ['donchian_breakout', 'partial_take_profit', 'reentry_breakout', 'atr_trailing_stop']);
  const exit = sig[3]?.s.indicators;
  assert.ok(exit !== undefined && (exit.close as number) < (exit.trailing_stop as number));
});

test('rsi-reversion: limit bid below the close when oversold, market exit on recovery', () => {
  const p = rsiReversion.params.parse({ period: 3, rsi_window: 10, oversold: 30, exit_above: 55, limit_offset_bps: 100, expire_bars: 2 });
  const closes = [100, 101, 102, 103, 104, 105, 106, 105, 103, 100, 96, 97, 99, 102, 105];
  const sig = run(rsiReversion, p, closes);
  assert.equal(sig[0]?.s.action, 'enter');
  assert.equal(sig[0]?.s.order?.type, 'limit');
  assert.equal(sig[0]?.s.order?.expire_bars, 2);
  assert.equal(sig[0]?.s.order?.limit_price, (sig[0]?.s.indicators.close as number) * 0.99);
  assert.ok((sig[0]?.s.indicators.rsi as number) < 30);
  assert.equal(sig[1]?.s.action, 'exit');
  assert.equal(sig[1]?.s.reason, 'rsi_recovered');
  assert.throws(() => rsiReversion.params.parse({ period: 20, rsi_window: 15 }), /rsi_window/);
});
