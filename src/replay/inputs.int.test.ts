/**
 * The replay's candle reader on both engines, over the real Q1-2023 BTC/USD hourly file with a
 * 100-hour hole cut out of it: every tick gets exactly the stored candle closing then (none in
 * the hole), a forward pass reads in a handful of batched queries (a gap is not a jump back), and
 * a jump back (a window replayed again) still answers right.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestFile } from '../ingest/ingest.js';
import type { Db } from '../store/db.js';
import { describeEngines } from '../../test/support/engines.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { storeInputs } from './inputs.js';

const HOUR = 3_600_000;

describeEngines('replay inputs', ({ freshDb }) => {
  test('candles closing at each tick, across a 100-hour hole, in few queries; a jump back still answers', async () => {
    const lines = readFileSync(BTC_2023Q1_HOURLY, 'utf8').trimEnd().split('\n');
    const kept = [...lines.slice(0, 500), ...lines.slice(600)];
    const file = join(mkdtempSync(join(tmpdir(), 'warden-inputs-')), 'XBTUSD_60.csv');
    writeFileSync(file, `${kept.join('\n')}\n`);
    const db = await freshDb();
    assert.equal((await ingestFile(db, file)).status, 'accepted');
    const stored = new Map(loadKrakenCsv(file, 'BTC/USD', 3600).map((c) => [c.open_time_ms + HOUR, c]));
    const all = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600);

    let queries = 0;
    const counted: Db = { ...db, query: (sql, params) => { queries++; return db.query(sql, params); } };
    const inputs = storeInputs(counted);
    let missing = 0;
    for (const c of all) {
      const close = c.open_time_ms + HOUR;
      const got = await inputs.candlesClosingAt(['BTC/USD'], 3600, close);
      const want = stored.get(close);
      if (want === undefined) {
        missing++;
        assert.deepEqual(got, [], `nothing stored closes at ${new Date(close).toISOString()}`);
      } else {
        assert.equal(got.length, 1);
        assert.equal(got[0]!.open_time_ms, want.open_time_ms);
        assert.equal(got[0]!.close.toString(), want.close.toString());
      }
    }
    assert.equal(missing, 100);
    assert.ok(queries <= 4, `a forward pass over ${all.length} ticks took ${queries} queries`);

    const back = all[50]!;
    const again = await inputs.candlesClosingAt(['BTC/USD'], 3600, back.open_time_ms + HOUR);
    assert.equal(again[0]?.close.toString(), back.close.toString(), 'a jump back reads again');
  });
});
