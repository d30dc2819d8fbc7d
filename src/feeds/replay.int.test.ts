/**
 * The replay feed on both engines, with Kraken's real hourly BTC/USD and ETH/USD files: a week
 * released bar by bar through the gate (one batch per symbol per step) stores exactly the files'
 * candles of that week; stopped halfway and started again, it resumes after what is stored, so
 * the result is the same as an uninterrupted run (no bar twice, none skipped).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { readGatedCandles } from '../ingest/gated-reader.js';
import { sameCandle } from '../core/market/gate.js';
import { CandleStore } from '../store/candle-store.js';
import type { Candle } from '../core/market/candle.js';
import { systemClock } from './clock.js';
import { ReplayFeed, type ReplayOptions } from './replay.js';

const DIR = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_hourly_full');
const FROM = Date.UTC(2022, 11, 1);
const TO = Date.UTC(2022, 11, 8);
const opts: ReplayOptions = {
  sources: [{ file: join(DIR, 'XBTUSD_60.csv'), symbol: 'BTC/USD', interval_s: 3600 }, { file: join(DIR, 'ETHUSD_60.csv'), symbol: 'ETH/USD', interval_s: 3600 }],
  bars_per_second: 1000, from_ms: FROM, to_ms: TO,
};

async function fileCandles(file: string, symbol: string): Promise<Candle[]> {
  const out: Candle[] = [];
  for await (const b of readGatedCandles(file, { symbol, interval_s: 3600, from_ms: FROM, to_ms: TO })) out.push(...b);
  return out;
}

describeEngines('feed replay', (ctx) => {
  test('a week of BTC/USD and ETH/USD, stopped halfway and resumed, stores exactly the files\' candles', async () => {
    const db = await ctx.freshDb();
    const { log } = captureLogger();
    const stop = new AbortController();
    // Stopped from the feed's own wait after 60 bars (no race with a timer).
    const clock = { now: () => Date.now(), sleep: (ms: number, signal: AbortSignal) => (first.released >= 60 ? (stop.abort(), Promise.resolve(false)) : systemClock.sleep(ms, signal)) };
    const first: ReplayFeed = new ReplayFeed('demo', { db, log, clock }, { ...opts, bars_per_second: 50 });
    await first.run(stop.signal);
    assert.equal(first.status().state, 'stopped');
    const store = new CandleStore(db);
    const halfway = await store.countCandles('BTC/USD', 3600);
    assert.equal(halfway, 60, 'stopped after 60 bars');
    const second = new ReplayFeed('demo', { db, log }, opts);
    await second.run(new AbortController().signal);
    assert.equal(second.status().state, 'done');
    for (const [file, symbol] of [['XBTUSD_60.csv', 'BTC/USD'], ['ETHUSD_60.csv', 'ETH/USD']] as const) {
      const want = await fileCandles(join(DIR, file), symbol);
      const got = await store.loadCandles(symbol, 3600, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(got.length, want.length, symbol);
      assert.equal(want.length, 168);
      got.forEach((c, i) => assert.ok(sameCandle(c, want[i]!) && c.open_time_ms === want[i]!.open_time_ms, `${symbol} #${i}`));
    }
    const [b] = await db.query<{ n: number; dup: number }>("SELECT count(*)::int AS n, sum(duplicates)::int AS dup FROM ingest_batches WHERE status = 'accepted'");
    assert.equal(b!.n, 336, 'one batch per symbol per bar');
    assert.equal(b!.dup, 0, 'the resumed run repeated no bar');
  });
});
