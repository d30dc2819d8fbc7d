/**
 * The live quick start's set-up on both engines, with the bundled Kraken files: a new store gets
 * exactly the warm-up week before the replay window (the file's candles, each once), a second set-up
 * ingests nothing; a store that already holds older history of a demo series while the demo book
 * has not started is refused (exit 78, naming the series and a fresh store) before anything is
 * ingested.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { readGatedCandles } from '../ingest/gated-reader.js';
import { ingestFile } from '../ingest/ingest.js';
import { sameCandle } from '../core/market/gate.js';
import type { Candle } from '../core/market/candle.js';
import { CandleStore } from '../store/candle-store.js';
import { DEMO_FILES, DEMO_WARMUP_DAYS, ROOT, dayMs } from './demo.js';
import { prepareDemoStore, QuickstartError } from './prepare.js';

const FROM = '2022-10-01';
const WARM_FROM = dayMs(FROM) - DEMO_WARMUP_DAYS * 86_400_000;

describeEngines('quickstart set-up', (ctx) => {
  test('given a new store, when set up twice, then the warm-up week is stored once and the second set-up ingests nothing', async () => {
    const db = await ctx.freshDb({ migrated: false });
    const first = await prepareDemoStore(db, FROM);
    assert.ok(first.migrated.length > 0);
    assert.deepEqual(first.ingested.map((s) => [s.symbol, s.accepted]), [['BTC/USD', 168], ['ETH/USD', 168]]);
    assert.equal(first.book_events, 0);
    const store = new CandleStore(db);
    for (const f of DEMO_FILES) {
      const want: Candle[] = [];
      for await (const b of readGatedCandles(f.file, { symbol: f.symbol, interval_s: 3600, from_ms: WARM_FROM, to_ms: dayMs(FROM) })) want.push(...b);
      const got = await store.loadCandles(f.symbol, 3600, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(got.length, want.length, f.symbol);
      got.forEach((c, i) => assert.ok(c.open_time_ms === want[i]!.open_time_ms && sameCandle(c, want[i]!), `${f.symbol} #${i}`));
    }
    const second = await prepareDemoStore(db, FROM);
    assert.deepEqual(second.migrated, []);
    assert.deepEqual(second.ingested.map((s) => s.accepted), [0, 0]);
  });

  test('given a store with years of ETH/USD history and no demo book, when set up, then it is refused and nothing is ingested', async () => {
    const db = await ctx.freshDb();
    await ingestFile(db, join(ROOT, 'data', 'kraken', 'ETHUSD_60.csv'));
    await assert.rejects(prepareDemoStore(db, FROM), (e: unknown) => {
      assert.ok(e instanceof QuickstartError);
      assert.equal(e.exitCode, 78);
      assert.match(e.message, /already holds ETH\/USD candles from 2015-08-07.*WARDEN_DATABASE_URL=pglite:\.\/var\/live\.pglite/);
      return true;
    });
    assert.equal(await new CandleStore(db).seriesHead('BTC/USD', 3600), null, 'BTC/USD: nothing ingested');
  });
});
