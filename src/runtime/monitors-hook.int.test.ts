/**
 * The runtime's monitor timer on both engines: it runs passes by itself, judges the feed host's
 * statuses (feed_error: a failed feed is raised once, critical, with its last error, and cleared
 * when the feed runs again), repeats write nothing, a pass that fails is logged and the timer goes
 * on, and WARDEN_MONITOR_INTERVAL_MS=0 starts nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { captureLogger } from '../../test/support/log-capture.js';
import type { FeedHost } from '../feeds/host.js';
import type { FeedStatus } from '../feeds/feed.js';
import { listSuggestions } from '../monitors/read.js';
import { SUGGESTIONS_STREAM } from '../monitors/suggestions.js';
import { EventStore } from '../store/event-store.js';
import { startRuntimeMonitors } from './monitors-hook.js';

const status = (state: FeedStatus['state'], last_error: string | null): FeedStatus => ({
  name: 'kraken-btc', kind: 'rest-ohlc', state, ctt_ms: null, lag_ms: null, batches: 3, candles_accepted: 2160, duplicates: 0, retries: 4,
  last_error, last_error_ms: last_error === null ? null : 1_764_000_000_000,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEngines('runtime monitors', (ctx) => {
  test('the timer raises a failed feed once, repeats write nothing, a running feed clears it', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const { log, events } = captureLogger();
    let current = status('failed', 'HTTP 500 from /0/public/OHLC after 4 retries');
    const host = { statuses: () => [current], stop: async () => undefined, done: new Promise(() => undefined) } as unknown as FeedHost;
    const m = await startRuntimeMonitors(db, store, log, 1000, () => host);
    assert.ok(m);
    try {
      // The timer's own pass (nobody calls runOnce).
      // (the log line follows the append: wait for it, then the pass is complete)
      for (let i = 0; i < 100 && events('suggestion').length === 0; i++) await sleep(100);
      const raised = await listSuggestions(store, { limit: 10 });
      assert.deepEqual(raised.suggestions.map((s) => [s.monitor, s.severity, s.key, s.cleared]), [['feed_error', 'critical', 'feed_error:kraken-btc:failed', null]]);
      assert.match(raised.suggestions[0]!.message, /feed kraken-btc \(rest-ohlc\) is failed: HTTP 500/);
      assert.equal(events('suggestion').length, 1);
      for (let i = 0; i < 3; i++) await m.runOnce();
      assert.equal((await store.head(SUGGESTIONS_STREAM))!.seq, 1, 'repeats write nothing');

      current = status('running', 'HTTP 500 from /0/public/OHLC after 4 retries'); // recovered: the error is kept, the state is what counts
      await m.runOnce();
      const after = await listSuggestions(store, { limit: 10 });
      assert.equal(after.open_count, 0);
      assert.equal(after.suggestions[0]!.cleared?.seq, 2);
      assert.equal(events('suggestion_cleared').length, 1);

      // A pass that fails (the feed host throws) is logged; the next one works again.
      const broken = host.statuses;
      (host as { statuses: () => FeedStatus[] }).statuses = () => {
        throw new Error('feed host gone');
      };
      await m.runOnce();
      assert.equal(events('monitor_failed').at(-1)?.reason, 'feed host gone');
      (host as { statuses: () => FeedStatus[] }).statuses = broken;
      current = status('retrying', 'timeout after 10000 ms');
      await m.runOnce();
      assert.deepEqual((await listSuggestions(store, { limit: 10, open_only: true })).suggestions.map((s) => [s.key, s.severity]), [['feed_error:kraken-btc:retrying', 'warn']]);
    } finally {
      await m.stop();
    }
    const head = (await store.head(SUGGESTIONS_STREAM))!.seq;
    await sleep(1200);
    assert.equal((await store.head(SUGGESTIONS_STREAM))!.seq, head, 'stopped: no more passes');
    assert.equal(await startRuntimeMonitors(db, store, log, 0, () => host), null, '0 = off');
  });
});
