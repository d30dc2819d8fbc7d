/**
 * The staleness badge in a REAL browser (chromium via playwright-core), on both engines: a live
 * feed (the replay feed, releasing Kraken's real hourly BTC/USD bars through the gate) keeps the
 * data page's badge ACTIVE; when the feed stops, the badge turns STALE within the configured time
 * (the server's --stale-after-s rule, plus the page's refresh period), after LATE, never before.
 *
 * The data is from 2022, so the API is given a clock (startApi's `now`, as `warden serve` takes
 * Date.now) on which market time runs SPEED times faster than the wall: one hourly bar every
 * 1 / BARS_PER_SECOND wall seconds, exactly the feed's pace, anchored at the feed's first bar.
 * Screenshots (ACTIVE, STALE) are saved under $TMPDIR/warden-dashboard-e2e/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from './support/engines.js';
import { captureLogger } from './support/log-capture.js';
import { BUNDLED_DATA_DIR } from './support/market-data.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, SHOTS } from './support/chromium.js';
import { startApi } from '../src/api/server.js';
import { staleness } from '../src/api/staleness.js';
import { systemClock } from '../src/feeds/clock.js';
import { ReplayFeed } from '../src/feeds/replay.js';
import { CandleStore } from '../src/store/candle-store.js';

const FILE = join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv');
const H_MS = 3_600_000;
const HISTORY_FROM = Date.UTC(2022, 11, 1);
const LIVE_FROM = HISTORY_FROM + 48 * H_MS;
const LIVE_BARS = 4;
const BARS_PER_SECOND = 0.25;
/** Market milliseconds per wall millisecond. */
const SPEED = 3600 * BARS_PER_SECOND;
/** The configured rule, in market seconds: LATE 1800 s (2 s of wall time) and STALE 3600 s (4 s) overdue. */
const RULE = { late_after_s: 1800, stale_after_s: 3600 };
/** The page re-reads staleness this often (web/src/refresh.ts STALENESS_REFRESH_MS). */
const REFRESH_MS = 1_000;
const SLACK_MS = 1_500;
const WEB_DIR = join(process.cwd(), 'dist/web');

describeEngines('dashboard staleness', (ctx) => {
  test('a live feed keeps the badge ACTIVE; stopped, it turns STALE within the configured time', { timeout: 180_000 }, async (t) => {
    const missing = chromiumMissing();
    if (missing !== null) return t.skip(missing);
    mkdirSync(SHOTS, { recursive: true });
    const db = await ctx.freshDb();
    const { log } = captureLogger();
    const source = { file: FILE, symbol: 'BTC/USD', interval_s: 3600 };
    const history = new ReplayFeed('history', { db, log }, { sources: [source], bars_per_second: 1000, from_ms: HISTORY_FROM, to_ms: LIVE_FROM });
    await history.run(new AbortController().signal);
    const series = async () => (await new CandleStore(db).series()).find((s) => s.symbol === 'BTC/USD')!;
    const cttHistory = (await series()).ctt_ms;
    assert.equal(cttHistory, LIVE_FROM, '48 real bars of history, the last closing when the live window opens');

    // The clock: frozen one bar after the history until the feed starts, then SPEED x the wall.
    let anchor: { wall: number; market: number } | null = null;
    const now = () => (anchor === null ? cttHistory + H_MS : anchor.market + (performance.now() - anchor.wall) * SPEED);
    const server = await startApi({ db, host: '127.0.0.1', port: 0, webDir: WEB_DIR, staleness: RULE, now });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.port}/#/data`);
      await page.waitForSelector('body[data-page="data"]', { timeout: 60_000 });
      const badge = page.locator('span.staleness[data-series="BTC/USD 3600"] .badge');
      assert.equal(await badge.innerText(), 'ACTIVE');
      await page.screenshot({ path: join(SHOTS, `staleness-active-${ctx.engine}.png`), fullPage: true });

      // The clock is anchored when the feed releases its first bar (its first wait, of 0 ms): that bar closes at this market time.
      const clock = {
        now: () => Date.now(),
        sleep: (ms: number, signal: AbortSignal) => {
          anchor ??= { wall: performance.now(), market: cttHistory + H_MS };
          return systemClock.sleep(ms, signal);
        },
      };
      const feed = new ReplayFeed('live', { db, log, clock }, { sources: [source], bars_per_second: BARS_PER_SECOND, from_ms: LIVE_FROM, to_ms: LIVE_FROM + LIVE_BARS * H_MS });
      const running = feed.run(new AbortController().signal);
      const seenWhileLive = new Set<string>();
      let done = false;
      void running.finally(() => (done = true));
      while (!done) {
        seenWhileLive.add(await badge.innerText());
        await page.waitForTimeout(200);
      }
      await running;
      assert.equal(feed.status().state, 'done');
      const last = await series();
      assert.equal(last.ctt_ms, LIVE_FROM + LIVE_BARS * H_MS, `the feed released its ${LIVE_BARS} real bars`);
      assert.deepEqual([...seenWhileLive], ['ACTIVE'], 'ACTIVE while the feed runs');

      // The feed stopped. The next bar is due one interval after the last CTT; STALE once it is stale_after_s overdue.
      const a = anchor as { wall: number; market: number } | null; // set from the feed's clock (a closure: not narrowed)
      assert.ok(a !== null, 'the feed waited before its first bar');
      const staleAtWall = a.wall + (last.ctt_ms + H_MS + RULE.stale_after_s * 1000 - a.market) / SPEED;
      const seen: Array<[string, number]> = [];
      for (;;) {
        const text = await badge.innerText();
        if (seen.length === 0 || seen[seen.length - 1]![0] !== text) seen.push([text, performance.now()]);
        if (text === 'STALE') break;
        assert.ok(performance.now() < staleAtWall + REFRESH_MS + SLACK_MS, `not STALE within the configured time: ${JSON.stringify(seen)}`);
        await page.waitForTimeout(100);
      }
      const staleSeen = seen[seen.length - 1]![1];
      assert.ok(staleSeen >= staleAtWall - 250, `STALE ${Math.round(staleAtWall - staleSeen)} ms before the rule says so`);
      assert.ok(staleSeen <= staleAtWall + REFRESH_MS + SLACK_MS, `STALE ${Math.round(staleSeen - staleAtWall)} ms after the rule`);
      assert.equal(staleness(last.ctt_ms, 3600, now(), RULE).status, 'STALE');
      const api = (await (await fetch(`http://127.0.0.1:${server.port}/api/data`)).json()) as { series: Array<{ symbol: string; staleness: { status: string } }> };
      assert.equal(api.series.find((s) => s.symbol === 'BTC/USD')!.staleness.status, 'STALE', 'the badge shows what the API says');
      await page.screenshot({ path: join(SHOTS, `staleness-stale-${ctx.engine}.png`), fullPage: true });
      process.stderr.write(`staleness [${ctx.engine}]: ${seen.map(([s, w]) => `${s} at ${Math.round(w - staleAtWall)} ms`).join(', ')} (0 = the rule's STALE time)\n`);
      assert.deepEqual(errors, [], 'no page error');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
