/**
 * The file-drop feed on both engines, with Kraken's real 2023 Q1 hourly BTC/USD file: a good
 * file is ingested and moved to done/ with its report; a copy with a broken row is refused
 * whole (nothing written) and moved to rejected/ with a report naming the line; a hidden or
 * .part file is left alone; the same bytes dropped again are a no-op moved to done/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { CandleStore } from '../store/candle-store.js';
import { FileDropFeed } from './file-drop.js';

const Q1 = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');

describeEngines('feed file-drop', (ctx) => {
  test('good file -> done/, broken file -> rejected/ naming its line, partial files left alone, a re-drop is a no-op', async () => {
    const db = await ctx.freshDb();
    const dir = mkdtempSync(join(tmpdir(), 'warden-drop-'));
    const sub = mkdtempSync(join(tmpdir(), 'warden-drop-bad-'));
    copyFileSync(Q1, join(dir, 'XBTUSD_60.csv'));
    const rows = readFileSync(Q1, 'utf8').split('\n');
    const f = rows[99]!.split(',');
    f[2] = String(Number(f[3]) - 1); // high below low at line 100
    rows[99] = f.join(',');
    writeFileSync(join(sub, 'XBTUSD_60.csv'), rows.join('\n'));
    copyFileSync(join(sub, 'XBTUSD_60.csv'), join(dir, 'XBTUSD_60-broken.csv'));
    writeFileSync(join(dir, 'XBTUSD_60.csv.part'), 'half a copy');
    writeFileSync(join(dir, '.hidden.csv'), 'x');
    const { log, events } = captureLogger();
    const feed = new FileDropFeed('drop', { db, log }, { dir, poll_ms: 10, settle_ms: 0, once: true, ingest: { symbol: 'BTC/USD', interval_s: 3600 } });
    await feed.run(new AbortController().signal);
    assert.deepEqual(feed.moved, [{ file: 'XBTUSD_60-broken.csv', to: 'rejected' }, { file: 'XBTUSD_60.csv', to: 'done' }]);
    assert.ok(existsSync(join(dir, 'done', 'XBTUSD_60.csv')) && existsSync(join(dir, 'done', 'XBTUSD_60.csv.report.json')));
    const rejected = JSON.parse(readFileSync(join(dir, 'rejected', 'XBTUSD_60-broken.csv.report.json'), 'utf8')) as { status: string; violations: Array<{ where: string; rule: string }> };
    assert.equal(rejected.status, 'rejected');
    assert.deepEqual([rejected.violations[0]!.where, rejected.violations[0]!.rule], ['XBTUSD_60-broken.csv:100', 'high_low']);
    assert.ok(existsSync(join(dir, 'XBTUSD_60.csv.part')) && existsSync(join(dir, '.hidden.csv')), 'partial and hidden files stay');
    assert.equal(await new CandleStore(db).countCandles('BTC/USD', 3600), 2160);
    assert.equal(events('feed_rejected').length, 1);
    // The same bytes again: already ingested, moved to done/ under a new name, nothing added.
    copyFileSync(Q1, join(dir, 'XBTUSD_60.csv'));
    const again = new FileDropFeed('drop', { db, log }, { dir, poll_ms: 10, settle_ms: 0, once: true, ingest: { symbol: 'BTC/USD', interval_s: 3600 } });
    await again.run(new AbortController().signal);
    assert.ok(existsSync(join(dir, 'done', 'XBTUSD_60.csv.1')));
    assert.equal((JSON.parse(readFileSync(join(dir, 'done', 'XBTUSD_60.csv.1.report.json'), 'utf8')) as { status: string }).status, 'already_ingested');
    assert.equal(await new CandleStore(db).countCandles('BTC/USD', 3600), 2160);
  });

  test('a file still changing is not taken until it has stopped changing', async () => {
    const db = await ctx.freshDb();
    const dir = mkdtempSync(join(tmpdir(), 'warden-drop-'));
    let now = Date.now() + 60_000;
    const { log } = captureLogger();
    const feed = new FileDropFeed('drop', { db, log, clock: { now: () => now, sleep: async () => true } }, { dir, poll_ms: 10, settle_ms: 5_000 });
    const stop = new AbortController();
    copyFileSync(Q1, join(dir, 'XBTUSD_60.csv'));
    // Drive the polls by hand: the first sees the file, the second (unchanged) takes it.
    const poll = (feed as unknown as { poll(s: AbortSignal): Promise<void> }).poll.bind(feed);
    (feed as unknown as { loop: unknown }).loop = async () => undefined;
    const { mkdirSync } = await import('node:fs');
    for (const s of ['done', 'rejected']) mkdirSync(join(dir, s), { recursive: true });
    await poll(stop.signal);
    assert.equal(feed.moved.length, 0, 'first sight: not taken');
    now += 1000;
    await poll(stop.signal);
    assert.deepEqual(feed.moved, [{ file: 'XBTUSD_60.csv', to: 'done' }]);
  });
});
