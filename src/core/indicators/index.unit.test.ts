/**
 * Indicators on the real hourly BTC/USD file, checked against trading-signals (an independent
 * implementation) at every bar of 2022, plus hand-computed cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATR, DonchianChannels, RSI, SMA } from 'trading-signals';
import { loadKrakenCsv, BTC_HOURLY } from '../../../test/support/candles-csv.js';
import { atr, donchian, numText, rsi, sma } from './index.js';

const from = Date.UTC(2022, 0, 1);
const to = Date.UTC(2023, 0, 1);
const bars = loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { fromMs: from, toMs: to }).map((c) => ({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() }));
const closes = bars.map((b) => b.close);

test('hand cases: sma, donchian (window ends before `end`), rsi extremes, numText', () => {
  assert.equal(sma([1, 2, 3, 4], 2), 3.5);
  assert.equal(sma([1, 2, 3, 4], 4, 3), null);
  assert.equal(sma([1, 2, 3, 4], 3, 3), 2);
  assert.deepEqual(donchian([{ high: 5, low: 1, close: 2 }, { high: 9, low: 4, close: 5 }, { high: 100, low: 0, close: 1 }], 2, 2), { upper: 9, lower: 1 });
  assert.equal(rsi([1, 2, 3, 4, 5, 6], 3), 100, 'only gains -> RSI 100');
  assert.equal(rsi([6, 5, 4, 3, 2, 1], 3), 0, 'only losses -> RSI 0');
  assert.equal(rsi([1, 2], 3), null);
  assert.equal(numText(0.1 + 0.2), '0.30000000000000004');
  assert.throws(() => numText(NaN), /indicator value NaN is not finite/);
  assert.throws(() => sma([1], 0), RangeError);
});

test('sma and donchian equal trading-signals on every bar of 2022 (real BTC/USD hourly)', () => {
  assert.ok(bars.length > 8000, `expected a year of hourly bars, got ${bars.length}`);
  const lib = new SMA(30);
  const dc = new DonchianChannels(20);
  for (let i = 0; i < closes.length; i++) {
    const expected = lib.update(closes[i] as number, false);
    const got = sma(closes, 30, i + 1);
    if (expected === null) assert.equal(got, null);
    else assert.ok(Math.abs((got as number) - expected) <= 1e-9 * Math.abs(expected), `bar ${i}: ${got} vs ${expected}`);
    const d = dc.update(bars[i] as { high: number; low: number }, false);
    const mine = donchian(bars, 20, i + 1);
    if (d === null) assert.equal(mine, null);
    else assert.deepEqual(mine, { upper: d.upper, lower: d.lower });
  }
});

test('rsi and atr are bit-identical to trading-signals over real 2022 windows (the library is the oracle)', () => {
  for (let end = 200; end <= closes.length; end += 97) {
    const lr = new RSI(14);
    const la = new ATR(14);
    let er: number | null = null;
    let ea: number | null = null;
    for (let i = end - 150; i < end; i++) {
      er = lr.update(closes[i] as number, false);
      ea = la.update(bars[i] as { high: number; low: number; close: number }, false);
    }
    assert.equal(rsi(closes.slice(end - 150, end), 14), er);
    assert.equal(atr(bars.slice(end - 150, end), 14), ea);
  }
  // warm-up edges agree too
  const r = new RSI(5);
  const a = new ATR(5);
  for (let i = 0; i < 8; i++) {
    assert.equal(rsi(closes.slice(0, i + 1), 5), r.update(closes[i] as number, false), `rsi at ${i}`);
    assert.equal(atr(bars.slice(0, i + 1), 5), a.update(bars[i] as { high: number; low: number; close: number }, false), `atr at ${i}`);
  }
});

test('atr and rsi depend only on their window and converge: a 150-bar window matches the full history within 0.5 %', () => {
  const end = closes.length;
  const fullRsi = rsi(closes, 14) as number;
  const winRsi = rsi(closes.slice(end - 150), 14) as number;
  assert.ok(Math.abs(fullRsi - winRsi) < 0.5, `rsi ${fullRsi} vs ${winRsi}`);
  const fullAtr = atr(bars, 14) as number;
  const winAtr = atr(bars.slice(end - 150), 14) as number;
  assert.ok(Math.abs(fullAtr - winAtr) / fullAtr < 0.005, `atr ${fullAtr} vs ${winAtr}`);
  // the same window always gives the same value (fresh instance per call)
  assert.equal(rsi(closes.slice(end - 150), 14), winRsi);
});
