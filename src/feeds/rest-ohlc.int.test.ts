/**
 * The REST OHLC poller against the recorded Kraken answer (nautilus_http_ohlc.json: 721
 * 1-minute XBTUSDT candles, the last one still open) served on 127.0.0.1, on both engines:
 * it takes exactly the closed candles, survives a 500, a timeout, a malformed body, a Kraken
 * error array and a rate limit (a retry and a log line each, nothing half-written), pages a
 * backfill, and after a restart the overlap with what is stored is deduplicated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { FakeKraken } from '../../test/support/fake-kraken.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { Decimal } from '../core/money/decimal.js';
import { CandleStore } from '../store/candle-store.js';
import type { Db } from '../store/db.js';
import { RestOhlcFeed, type RestOhlcOptions } from './rest-ohlc.js';

const recorded = JSON.parse(readFileSync(join(EXTERNAL_DATA_DIR, 'kraken-payloads', 'nautilus_http_ohlc.json'), 'utf8')) as { result: { XBTUSDT: unknown[][] } };
const ROWS = recorded.result.XBTUSDT;

function options(base_url: string, extra: Partial<RestOhlcOptions> = {}): RestOhlcOptions {
  return {
    base_url, pair: 'XBTUSDT', interval_s: 60, poll_ms: 10, timeout_ms: 300, rate: { capacity: 100, per_second: 1000 }, rate_limit_pause_ms: 5,
    since_s: ROWS[0]![0] as number, once: true, ...extra,
  };
}

const ctx0 = { jitter: () => 0.5, backoff: { base_ms: 1, cap_ms: 8 } };

async function batches(db: Db): Promise<Array<{ status: string }>> {
  return db.query<{ status: string }>('SELECT status FROM ingest_batches ORDER BY id');
}

describeEngines('feed rest-ohlc', (ctx) => {
  test('takes exactly the 720 closed candles of the recorded answer, through every kind of failure', async () => {
    const db = await ctx.freshDb();
    const server = await new FakeKraken({ ohlc: { pair: 'XBTUSDT', rows: ROWS } }).start();
    try {
      // A process's first fetch loads and compiles undici: 150-600 ms on the loaded 2-core machine,
      // over this test's 300 ms request timeout. One request first, so each fault below is what
      // its own request meets (the OHLC requests counted at the end are the feed's only).
      await fetch(`${server.baseUrl}/warm-up`).then((r) => r.text(), () => undefined);
      server.fail('500', 'timeout', 'malformed', 'kraken_error', 'rate_limit', 'http429');
      const { log, events } = captureLogger();
      const feed = new RestOhlcFeed('btc-1m', { db, log, ...ctx0 }, options(server.baseUrl));
      await feed.run(new AbortController().signal);
      const retries = events('feed_retry').map((l) => String(l.reason).split(':')[0]);
      assert.deepEqual(retries, ['http_status', 'timeout', 'malformed', 'kraken_error', 'rate_limited', 'rate_limited']);
      assert.deepEqual(events('feed_retry').map((l) => l.attempt), [1, 2, 3, 4, 5, 6]);
      const store = new CandleStore(db);
      const stored = await store.loadCandles('BTC/USDT', 60, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(stored.length, 720, 'the 721st (open) candle is never taken');
      for (let i = 0; i < 720; i++) {
        const r = ROWS[i]!;
        const c = stored[i]!;
        assert.equal(c.open_time_ms, (r[0] as number) * 1000);
        const fields = [c.open, c.high, c.low, c.close, c.vwap!, c.volume];
        fields.forEach((d, k) => assert.ok(d.eq(Decimal.parse(r[k + 1] as string, 'field')), `row ${i} field ${k + 1}: ${d} vs ${String(r[k + 1])}`));
        assert.equal(c.count, r[7]);
      }
      assert.ok((await batches(db)).every((b) => b.status === 'accepted'), 'no failure left a rejected or partial batch');
      const s = feed.status();
      assert.equal(s.state, 'done');
      assert.equal(s.ctt_ms, (ROWS[719]![0] as number) * 1000 + 60_000);
      assert.equal(s.retries, 6);
      assert.match(s.last_error ?? '', /rate_limited: HTTP 429/);
      // Paged: the first page (720 rows from since) was full, so the next followed at once.
      assert.ok(server.requests.filter((u) => u.startsWith('/0/public/OHLC')).length >= 8);
    } finally {
      await server.stop();
    }
  });

  test('a restart resumes from the stored head: the overlap is deduplicated, only new closed candles are added', async () => {
    const db = await ctx.freshDb();
    const past = await new FakeKraken({ ohlc: { pair: 'XBTUSDT', rows: ROWS.slice(0, 400) } }).start();
    const { log } = captureLogger();
    try {
      await new RestOhlcFeed('btc-1m', { db, log, ...ctx0 }, options(past.baseUrl)).run(new AbortController().signal);
    } finally {
      await past.stop();
    }
    const store = new CandleStore(db);
    assert.equal(await store.countCandles('BTC/USDT', 60), 399);
    const now = await new FakeKraken({ ohlc: { pair: 'XBTUSDT', rows: ROWS } }).start();
    try {
      const feed = new RestOhlcFeed('btc-1m', { db, log, ...ctx0 }, options(now.baseUrl, { since_s: 0 }));
      await feed.run(new AbortController().signal);
      assert.match(now.requests[0]!, new RegExp(`since=${ROWS[398]![0]}`), 'resumes at the stored head, not at since_s');
      assert.ok(feed.status().duplicates >= 1, 'the overlapping candle is a duplicate, a no-op');
    } finally {
      await now.stop();
    }
    assert.equal(await store.countCandles('BTC/USDT', 60), 720);
    assert.ok((await batches(db)).every((b) => b.status === 'accepted'));
  });

  test('a conflicting candle (the same minute with other values) is refused: the feed fails with exit 65, nothing written', async () => {
    const db = await ctx.freshDb();
    const { log, events } = captureLogger();
    const first = await new FakeKraken({ ohlc: { pair: 'XBTUSDT', rows: ROWS.slice(0, 10) } }).start();
    try {
      await new RestOhlcFeed('btc-1m', { db, log, ...ctx0 }, options(first.baseUrl)).run(new AbortController().signal);
    } finally {
      await first.stop();
    }
    const altered = ROWS.slice(0, 20).map((r, i) => (i === 5 ? [r[0], r[1], r[2], r[3], r[4], r[5], r[6], (r[7] as number) + 1] : r));
    const second = await new FakeKraken({ ohlc: { pair: 'XBTUSDT', rows: altered } }).start();
    try {
      // A feed resuming at the head would never re-read minute 5: this one is made to, as a
      // second feed with an empty view of the series would (since_s from the first row).
      const feed2 = new RestOhlcFeed('btc-1m-again', { db, log, ...ctx0 }, options(second.baseUrl));
      Object.defineProperty(feed2, 'url', { value: () => `${second.baseUrl}/0/public/OHLC?pair=XBTUSDT&interval=1&since=${String(ROWS[0]![0])}` });
      await assert.rejects(feed2.run(new AbortController().signal), (e: Error & { exitCode?: number }) => e.exitCode === 65 && /duplicate_conflict|different candle/.test(e.message));
      assert.equal(feed2.status().state, 'failed');
      assert.equal(events('feed_failed').length, 1);
    } finally {
      await second.stop();
    }
    assert.equal(await new CandleStore(db).countCandles('BTC/USDT', 60), 9, 'the refused batch wrote no candle');
  });
});
