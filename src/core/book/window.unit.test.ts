/**
 * A skill's window (./window.ts) on real candles (the bundled BTC/USD hourly file's first 2,000
 * rows): `closes` and `exactCloses()` are the same newest `warmup` bars, the second as the candles'
 * own decimals, on every tick of a book's run (its history trimmed at twice the window as it goes),
 * after a state round trip through its encoding, and whenever exactCloses is called (the window is
 * fixed when the context is made, even if the history moves on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../market/candle.js';
import { Decimal } from '../money/decimal.js';
import { parseKrakenOhlcvtLine } from '../../ingest/parsers.js';
import { BUNDLED_DATA_DIR } from '../../../test/support/market-data.js';
import { BookHarness } from '../../../test/support/book.js';
import { decodeState, encodeState, type BookConfigInput, type History } from './index.js';
import { pushBar } from './state.js';
import { WindowContext } from './window.js';

const candles: Candle[] = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'utf8').split('\n').slice(0, 2000).map((line, i) => {
  const p = parseKrakenOhlcvtLine(line.trim(), `XBTUSD_60.csv:${i + 1}`, 'BTC/USD', 3600);
  if (!p.ok) throw new Error(p.violation.message);
  return { ...p.value, count: p.value.count ?? 0 };
});
const cfg: BookConfigInput = {
  book_id: 'window', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30, atr_period: 9 } }], sizing: { mode: 'pct_equity', pct: '100' }, initial_cash: '10000',
};
const WARMUP = 30;

function check(h: History, at: string): void {
  const ctx = new WindowContext('BTC/USD', {}, h, WARMUP, Decimal.ZERO, () => null, false, false, null);
  const exact = ctx.exactCloses();
  assert.equal(exact.length, WARMUP, `${at}: ${exact.length} exact closes`);
  assert.deepEqual(exact.map((d) => d.toNumber()), Array.from(ctx.closes), `${at}: exact closes = float closes`);
  assert.ok((exact[WARMUP - 1] as Decimal).eq((h.candles[h.candles.length - 1] as Candle).close), `${at}: the last is the newest candle's close`);
}

test('exactCloses is the window of closes as the candles\' decimals: every tick, after a state round trip, and fixed once made', () => {
  const book = new BookHarness(cfg);
  book.start(candles[0]!.open_time_ms);
  let checked = 0;
  for (const [i, c] of candles.entries()) {
    book.tick([c]);
    const h = book.state.history.get('BTC/USD') as History;
    if (h.bars.length < WARMUP) continue;
    check(h, `tick ${i + 1}`);
    checked++;
    if (i % 500 === 0) check(decodeState(encodeState(book.state)).history.get('BTC/USD') as History, `tick ${i + 1}, decoded`);
  }
  assert.ok(checked > 1900, `${checked} ticks checked`);
  // made now, read after the history moved on: the same bars as its `closes`
  const h = book.state.history.get('BTC/USD') as History;
  const ctx = new WindowContext('BTC/USD', {}, h, WARMUP, Decimal.ZERO, () => null, false, false, null);
  const before = Array.from(ctx.closes);
  pushBar(h, { ...candles[candles.length - 1]!, open_time_ms: candles[candles.length - 1]!.open_time_ms + 3_600_000, close: Decimal.parse('1') }, book.state.window_bars['BTC/USD'] as number);
  assert.deepEqual(ctx.exactCloses().map((d) => d.toNumber()), before, 'the window made before the push');
});
