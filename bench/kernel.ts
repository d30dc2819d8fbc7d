/**
 * Kernel benchmark on the real hourly BTC/USD file (70k bars): prints, never asserts.
 *  1. SMA(10)/SMA(30) over every bar: trading-signals (incremental objects) vs a hand-rolled
 *     incremental running sum, and the kernel's window function (what skills call each tick).
 *  2. RSI(14) and ATR(14) over a 150-bar window per tick: the kernel's Wilder functions vs
 *     trading-signals (a fresh instance fed the window), which they equal bit for bit.
 *  3. The full in-memory pipeline per built-in skill: the backtest driver (decide + evolve + ledger +
 *     marks + events encoded), then chainEvents over all its events (canonical JSON + sha256 chain), as bars/s.
 * Run: npm run bench:kernel
 */
import { performance } from 'node:perf_hooks';
import { ATR, RSI, SMA } from 'trading-signals';
import { BTC_HOURLY, loadKrakenCsv } from '../test/support/candles-csv.js';
import { atr, rsi, sma } from '../src/core/indicators/index.js';
import { resolveBook, type BookConfigInput } from '../src/core/book/index.js';
import { arrayReader, runBacktest } from '../src/backtest/run.js';
import { encodingSink } from '../src/backtest/sinks.js';
import type { NewEvent } from '../src/core/events/index.js';
import { chainEvents, GENESIS_PREV_HASH } from '../src/core/events/index.js';

const candles = loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { dropLast: true });
const closes = candles.map((c) => c.close.toNumber());
const bars = candles.map((c) => ({ high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber() }));
const n = closes.length;
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
const time = (f: () => number): [number, number] => {
  const t = performance.now();
  const x = f();
  return [performance.now() - t, x];
};

console.log(`bars: ${n} (${BTC_HOURLY})`);
const [libMs, libChk] = time(() => {
  const f = new SMA(10);
  const s = new SMA(30);
  let chk = 0;
  for (const c of closes) {
    const a = f.update(c, false);
    const b = s.update(c, false);
    if (a !== null && b !== null) chk += a - b;
  }
  return chk;
});
const [handMs, handChk] = time(() => {
  let s10 = 0;
  let s30 = 0;
  let chk = 0;
  for (let i = 0; i < n; i++) {
    s10 += closes[i] as number;
    s30 += closes[i] as number;
    if (i >= 10) s10 -= closes[i - 10] as number;
    if (i >= 30) s30 -= closes[i - 30] as number;
    if (i >= 29) chk += s10 / 10 - s30 / 30;
  }
  return chk;
});
const [winMs, winChk] = time(() => {
  let chk = 0;
  for (let i = 30; i <= n; i++) chk += (sma(closes, 10, i) as number) - (sma(closes, 30, i) as number);
  return chk;
});
console.log(`SMA(10)/SMA(30) trading-signals incremental: ${libMs.toFixed(1)} ms, ${rate(n, libMs)} bars (checksum ${libChk.toFixed(6)})`);
console.log(`SMA(10)/SMA(30) hand-rolled running sum:     ${handMs.toFixed(1)} ms, ${rate(n, handMs)} bars (checksum ${handChk.toFixed(6)}; running sums drift in the last digits)`);
console.log(`SMA(10)/SMA(30) kernel window function:      ${winMs.toFixed(1)} ms, ${rate(n, winMs)} bars (checksum ${winChk.toFixed(6)})`);
const [rsiMs] = time(() => {
  let chk = 0;
  for (let i = 150; i <= n; i += 1) chk += rsi(closes.slice(i - 150, i), 14) as number;
  return chk;
});
const [atrMs] = time(() => {
  let chk = 0;
  for (let i = 150; i <= n; i += 1) chk += atr(bars.slice(i - 150, i), 14) as number;
  return chk;
});
const [libRsiMs] = time(() => {
  let chk = 0;
  for (let i = 150; i <= n; i += 1) {
    const ind = new RSI(14);
    let v: number | null = null;
    for (let j = i - 150; j < i; j++) v = ind.update(closes[j] as number, false);
    chk += v as number;
  }
  return chk;
});
const [libAtrMs] = time(() => {
  let chk = 0;
  for (let i = 150; i <= n; i += 1) {
    const ind = new ATR(14);
    let v: number | null = null;
    for (let j = i - 150; j < i; j++) v = ind.update(bars[j] as { high: number; low: number; close: number }, false);
    chk += v as number;
  }
  return chk;
});
console.log(`RSI(14), 150-bar window per tick: kernel ${rsiMs.toFixed(0)} ms (${rate(n, rsiMs)} ticks); trading-signals ${libRsiMs.toFixed(0)} ms (${rate(n, libRsiMs)} ticks)`);
console.log(`ATR(14), 150-bar window per tick: kernel ${atrMs.toFixed(0)} ms (${rate(n, atrMs)} ticks); trading-signals ${libAtrMs.toFixed(0)} ms (${rate(n, libAtrMs)} ticks)`);

const books: Record<string, BookConfigInput> = {
  'sma-cross': { book_id: 'bench', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }], sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000' },
  'donchian-breakout': { book_id: 'bench', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'donchian-breakout', symbols: ['BTC/USD'], params: {} }], sizing: { mode: 'vol_target', risk_pct: '1', atr_mult: '3', pct_equity_max: '45' }, initial_cash: '10000' },
  'rsi-reversion': { book_id: 'bench', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: {} }], sizing: { mode: 'pct_equity', pct: '30' }, initial_cash: '10000' },
};
for (const [name, cfg] of Object.entries(books)) {
  const events: NewEvent[] = [];
  const t0 = performance.now();
  await runBacktest(resolveBook(cfg), arrayReader(candles), encodingSink(events));
  const t1 = performance.now();
  const chained = chainEvents('book:bench', 0, GENESIS_PREV_HASH, events);
  const t2 = performance.now();
  console.log(`pipeline ${name}: ${events.length} events; engine ${(t1 - t0).toFixed(0)} ms (${rate(n, t1 - t0)} bars); chain ${(t2 - t1).toFixed(0)} ms (${rate(chained.length, t2 - t1)} events); total ${rate(n, t2 - t0)} bars`);
}
