/**
 * Feeds run beside a trading book, end to end, on both engines, with the bundled real hourly
 * BTC/USD file released by the replay feed (a week, 168 bars):
 *   PGlite      the runtime runs the feed itself (WARDEN_FEEDS): the store has one owner.
 *   PostgreSQL  a `warden feed replay` process writes beside the runtime.
 * The book ticks every bar as the feed releases it, /healthz shows the feed on PGlite, SIGTERM
 * stops cleanly (exit 0), and `warden replay verify` passes on the result.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { smaBookConfig } from './support/book-driver.js';
import { processStore } from './support/engines.js';
import { cli, CLI_JS, ROOT, RUNTIME_JS, runtimeVars, start, WAIT_MS_MAX, type Proc } from './runtime-proc.js';

const BOOK = smaBookConfig('main');
const FILE = join(ROOT, 'data', 'kraken', 'XBTUSD_60.csv');
const FROM = '2022-12-01';
const TO = '2022-12-08';
const LAST_TICK = '2022-12-08T00:00:00.000Z';

async function caughtUp(p: Proc): Promise<void> {
  const t0 = Date.now();
  while (!p.lines.some((l) => l.event === 'market_caught_up' && l.last_tick === LAST_TICK)) {
    if (Date.now() - t0 > WAIT_MS_MAX) throw new Error(`the book did not reach ${LAST_TICK}; log:\n${p.lines.slice(-30).map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scenario(engine: 'pglite' | 'postgres'): Promise<void> {
  const store = await processStore(engine, 'feeds');
  const dir = mkdtempSync(join(tmpdir(), 'warden-feeds-e2e-'));
  try {
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const feeds = { feeds: [{ name: 'demo', kind: 'replay', files: [{ file: FILE }], bars_per_second: 50, from: FROM, to: TO }] };
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify(feeds));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), {
      WARDEN_BOOK_CONFIG: join(dir, 'book.json'), ...(engine === 'pglite' ? { WARDEN_FEEDS: join(dir, 'feeds.json') } : {}),
    });
    assert.equal((await cli(['init'], vars)).code, 0);
    const rt = start([process.execPath, RUNTIME_JS], vars);
    const ready = await rt.waitFor('ready');
    if (engine === 'postgres') {
      const feed = await cli(['feed', 'run', '--config', join(dir, 'feeds.json')], vars);
      assert.equal(feed.code, 0, feed.stderr);
      assert.match(feed.stdout, /demo \(replay\): done; 168 batches, 168 candles accepted, 0 duplicates/);
    } else {
      const health = await (await fetch(`http://127.0.0.1:${String(ready.http_port)}/healthz`)).json() as { feeds: Array<{ name: string; kind: string; state: string }> };
      assert.equal(health.feeds[0]!.name, 'demo');
      assert.equal(health.feeds[0]!.kind, 'replay');
    }
    await caughtUp(rt);
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0, rt.stderr());
    if (engine === 'pglite') assert.ok(rt.lines.some((l) => l.event === 'feed_stopped' || l.event === 'feed_status'));
    const v = await cli(['replay', 'verify', '--book', 'main'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.ok(CLI_JS);
  } finally {
    await store.cleanup();
  }
}

describe('feeds beside a trading book', () => {
  test('pglite: the runtime runs the replay feed in-process (WARDEN_FEEDS)', { timeout: 300_000 }, () => scenario('pglite'));
  test('postgres: a warden feed process writes beside the runtime', { timeout: 300_000 }, () => scenario('postgres'));
});
