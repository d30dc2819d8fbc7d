/**
 * The WS v2 trade feed against a local server (127.0.0.1) sending the RECORDED Kraken trades
 * (nautilus_http_trades.json, 1000 XBTUSDT trades with ids) as documented v2 `trade` messages,
 * and serving the same trades over REST for the catch-up. The connection is cut mid-stream while
 * 200 trades happen; after the reconnect and the REST catch-up (with WS trades overlapping it),
 * the stored 1-minute candles are EXACTLY Kraken's own candles for every minute 17:24..00:14
 * (nautilus_http_ohlc.json, recorded together): no duplicate, no missing minute. Both engines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { FakeKraken } from '../../test/support/fake-kraken.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { sameCandle } from '../core/market/gate.js';
import { formatUtc } from '../core/market/time.js';
import { parseRestOhlcRow, secondsTextToUs } from '../ingest/parsers.js';
import { CandleStore } from '../store/candle-store.js';
import type { FeedClock } from './clock.js';
import { systemClock } from './clock.js';
import { WsTradesFeed } from './ws-trades.js';

const PAYLOADS = join(EXTERNAL_DATA_DIR, 'kraken-payloads');
const TRADES = (JSON.parse(readFileSync(join(PAYLOADS, 'nautilus_http_trades.json'), 'utf8')) as { result: { XBTUSDT: unknown[][] } }).result.XBTUSDT;
const OHLC = (JSON.parse(readFileSync(join(PAYLOADS, 'nautilus_http_ohlc.json'), 'utf8')) as { result: { XBTUSDT: unknown[][] } }).result.XBTUSDT;

const us = (i: number) => secondsTextToUs(String(TRADES[i]![2]), `trade ${i}`);

/** Trade i as the documented v2 message item, its price and qty digits exactly as recorded. */
function wsItem(i: number): string {
  const r = TRADES[i]!;
  const t = us(i);
  const iso = `${formatUtc(Math.floor(t / 1e6) * 1000).slice(0, -1)}.${String(t % 1e6).padStart(6, '0')}Z`;
  return `{"symbol":"BTC/USDT","side":"${r[3] === 'b' ? 'buy' : 'sell'}","price":${String(r[0])},"qty":${String(r[1])},"ord_type":"${r[4] === 'l' ? 'limit' : 'market'}","trade_id":${String(r[6])},"timestamp":"${iso}"}`;
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describeEngines('feed ws-trades', (ctx) => {
  test('a disconnect mid-stream: reconnect, REST catch-up, then every minute equals Kraken\'s own candle', async () => {
    const db = await ctx.freshDb();
    const server = await new FakeKraken({ trades: { pair: 'XBTUSDT', rows: TRADES }, trades_page: 100 }).start();
    let now = Math.floor(us(299) / 1000) + 500;
    const clock: FeedClock = { now: () => now, sleep: systemClock.sleep };
    const { log, events } = captureLogger();
    const first = Math.ceil(us(0) / 60e6) * 60; // 17:24:00, the first minute the sample covers whole
    const feed = new WsTradesFeed('btc-ws', { db, log, clock, jitter: () => 0.5, backoff: { base_ms: 5, cap_ms: 20 } }, {
      ws_url: server.wsUrl, rest_base_url: server.baseUrl, pair: 'XBTUSDT', settle_ms: 1000, timeout_ms: 2000, idle_timeout_ms: 30_000,
      tick_ms: 20, rate: { capacity: 100, per_second: 1000 }, since_s: first, rest_page_rows: 100,
    });
    const stop = new AbortController();
    server.tradesVisible = 300;
    const running = feed.run(stop.signal);
    try {
      await until('first catch-up', () => feed.sessions === 1 && feed.status().state === 'running' && server.sockets.size === 1);
      assert.equal(feed.lastTradeId, TRADES[299]![6]);
      // Trades are delivered as they happen: the clock reads each message's first trade time
      // (+200 ms) and the next message waits until the feed has taken this one.
      const send = async (from: number, to: number) => {
        for (let i = from; i < to; i += 3) {
          const j = Math.min(to, i + 3);
          server.tradesVisible = Math.max(server.tradesVisible ?? 0, j);
          now = Math.floor(us(i) / 1000) + 200;
          server.push(`{"channel":"trade","type":"update","data":[${Array.from({ length: j - i }, (_, k) => wsItem(i + k)).join(',')}]}`);
          await until(`trade ${j - 1} taken`, () => (feed.lastTradeId ?? 0) >= (TRADES[j - 1]![6] as number));
        }
      };
      await send(300, 600);
      await until('trade 599 applied', () => feed.lastTradeId === TRADES[599]![6]);
      server.dropClients(); // 200 trades happen while the feed is away
      server.tradesVisible = 800;
      now = Math.floor(us(799) / 1000) + 200;
      await until('reconnected and subscribed', () => feed.sessions === 2 && server.sockets.size === 1 && server.wsMessages.length === 2);
      await send(780, 1000); // overlaps the catch-up by 20 trades
      await until('trade 999 applied', () => feed.lastTradeId === TRADES[999]![6]);
      now = (1762820040 + 90) * 1000; // 00:15:30: a heartbeat then closes 00:13 and the no-trade 00:14
      server.push('{"channel":"heartbeat"}');
      await until('00:14 stored', () => feed.status().ctt_ms === 1762820100_000);
    } finally {
      stop.abort();
      await running.catch(() => undefined);
      await server.stop();
    }
    assert.equal(events('feed_caught_up').length, 2);
    assert.equal(events('feed_trade_after_close').length, 0, 'no trade came after its minute was closed');
    assert.ok(events('feed_retry').some((l) => /network/.test(String(l.reason))));
    const stored = await new CandleStore(db).loadCandles('BTC/USDT', 60, 0, Number.MAX_SAFE_INTEGER);
    const expected = OHLC.filter((r) => (r[0] as number) >= first && (r[0] as number) <= 1762820040);
    assert.equal(expected.length, 411);
    assert.equal(stored.length, expected.length, 'one candle per minute 17:24..00:14, none missing, none twice');
    for (let i = 0; i < expected.length; i++) {
      const want = parseRestOhlcRow(expected[i], `ohlc ${i}`, 'BTC/USDT', 60);
      assert.ok(want.ok);
      assert.ok(sameCandle(stored[i]!, want.value) && stored[i]!.vwap!.eq(want.value.vwap!), `minute ${formatUtc(stored[i]!.open_time_ms)}: ${JSON.stringify(expected[i])} stored ${stored[i]!.open_time_ms / 1000} o=${stored[i]!.open} c=${stored[i]!.close} v=${stored[i]!.volume} n=${stored[i]!.count}`);
    }
    const rejected = await db.query("SELECT id FROM ingest_batches WHERE status <> 'accepted'");
    assert.equal(rejected.length, 0);
  });
});
