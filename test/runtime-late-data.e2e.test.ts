/**
 * Late data end to end, on both engines: a runtime runs a BTC/USD + ETH/USD book over real Kraken
 * hourly candles (2023-01-01..06) where ETH stops mid-run (its stored candles end on 01-04). The
 * runtime catches up: the ticks after ETH stopped wait for it, then run DEGRADED with ETH SKIPPED
 * (tick.completed, data_complete "late:ETH/USD"): the first once it waited the lateness on the
 * wall clock, the others at once (ETH still late). ETH's missing candles then arrive while the runtime runs
 * (dropped into its file-drop feed's folder: the same gate as `warden ingest`): each is recorded as late (bar.late, its own market.late step) and no tick is rewritten.
 * `warden replay verify` re-executes the whole book, skips and late bars included, and passes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { processStore } from './support/engines.js';
import { sliceHourly, streamEvents, until } from './support/book-e2e.js';
import { cli, RUNTIME_JS, runtimeVars, start } from './runtime-proc.js';

const H = 3_600_000;
const DAY = 24 * H;
const FROM = Date.UTC(2023, 0, 1);
const ETH_STOPS = FROM + 3 * DAY; // ETH's last stored candle closes here
const END = FROM + 5 * DAY; // BTC's last candle closes here
const LATENESS_MS = 1500; // waited once on the wall clock per run: long enough to be a wait, short enough not to idle the suite
const BOOK = {
  book_id: 'main',
  data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source: { kind: 'store' }, lateness_ms: LATENESS_MS },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD', 'ETH/USD'], params: { fast: 5, slow: 20 } }],
  sizing: { mode: 'pct_equity', pct: '20' },
  initial_cash: '10000',
};

const slice = sliceHourly;
const events = (url: string) => streamEvents(url, 'book:main', 'late data e2e check');

async function scenario(engine: 'pglite' | 'postgres'): Promise<void> {
  const store = await processStore(engine, 'late');
  const dir = mkdtempSync(join(tmpdir(), 'warden-late-e2e-'));
  try {
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ name: 'drop', kind: 'file-drop', dir: drop, poll_ms: 200, settle_ms: 100 }] }));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_FEEDS: join(dir, 'feeds.json'), WARDEN_MONITOR_INTERVAL_MS: '1000' });
    assert.equal((await cli(['init'], vars)).code, 0);
    const first = [slice(join(dir, 'a'), 'XBTUSD_60.csv', FROM, END), slice(join(dir, 'a'), 'ETHUSD_60.csv', FROM, ETH_STOPS)];
    const ing = await cli(['ingest', ...first], vars);
    assert.equal(ing.code, 0, ing.stdout + ing.stderr);
    const rt = start([process.execPath, RUNTIME_JS], vars);
    await rt.waitFor('ready');
    // 1. the catch-up runs every tick; after ETH stopped, DEGRADED with ETH skipped (the wall clock once, then still late)
    await until('the book to reach the last BTC candle', rt, () => (rt.lines.some((l) => l.event === 'market_caught_up' && l.last_tick_ms === END) ? true : null));
    const skippedLines = rt.lines.filter((l) => l.event === 'tick_skipped_late');
    assert.equal(skippedLines.length, (END - ETH_STOPS) / H, 'one skipped tick per hour after ETH stopped');
    assert.deepEqual(skippedLines[0]?.rule, 'wall_clock', 'the first tick without ETH waited lateness_ms on the clock');
    assert.ok(skippedLines.slice(1).every((l) => l.rule === 'still_late' && (l.skipped as string[]).join() === 'ETH/USD'), 'the next ones at once: ETH still late');
    // the runtime's monitors suggest (never act): ETH lags the book's other symbol past the lateness
    const suggested = await until('a late_data suggestion', rt, () => rt.lines.find((l) => l.event === 'suggestion' && l.monitor === 'late_data') ?? null);
    assert.deepEqual([suggested.key, suggested.series, suggested.book], ['late_data:main:ETH/USD', 'ETH/USD 3600', 'main']);
    // 2. ETH's missing candles arrive while the runtime runs: recorded as late, nothing rewritten
    renameSync(slice(join(dir, 'b'), 'ETHUSD_60.csv', ETH_STOPS, END), join(drop, 'ETHUSD_60.csv'));
    await until('every late ETH candle recorded', rt, () => (rt.lines.filter((l) => l.event === 'bar_late_recorded').length === (END - ETH_STOPS) / H ? true : null));
    await until('the late_data suggestion cleared once ETH caught up', rt, () => (rt.lines.some((l) => l.event === 'suggestion_cleared' && l.key === 'late_data:main:ETH/USD') ? true : null));
    rt.child.kill('SIGTERM');
    assert.equal(await rt.exit, 0, rt.stderr());
    // 3. what the log says
    const ev = await events(store.url);
    const degraded = ev.filter((e) => e.type === 'tick.completed');
    assert.equal(degraded.length, (END - ETH_STOPS) / H);
    for (const d of degraded) {
      assert.equal(d.payload.status, 'DEGRADED');
      assert.deepEqual((d.payload.tasks as Record<string, unknown>[])[0], { task: 'data_complete', outcome: 'SKIPPED', reason: 'late:ETH/USD' });
      assert.ok(d.time_ms > ETH_STOPS && d.time_ms <= END);
    }
    const ethClosed = ev.filter((e) => e.type === 'bar.closed' && e.payload.symbol === 'ETH/USD');
    assert.equal(Math.max(...ethClosed.map((e) => e.time_ms)), ETH_STOPS, 'no ETH bar.closed after it stopped: past ticks are not rewritten');
    const barLate = ev.filter((e) => e.type === 'bar.late');
    assert.equal(barLate.length, (END - ETH_STOPS) / H);
    assert.ok(barLate.every((e) => e.payload.symbol === 'ETH/USD' && e.seq > degraded.at(-1)!.seq), 'recorded after the ticks that ran without them');
    const steps = ev.filter((e) => e.type === 'step.started' && e.payload.command === 'market.late');
    assert.equal(steps.length, barLate.length, 'each late candle is its own step');
    // 4. replay re-executes the skips (recorded decisions) and the late bars (recorded inputs)
    const v = await cli(['replay', 'verify', '--book', 'main', '--json'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  } finally {
    await store.cleanup();
  }
}

describe('late data: a symbol that stops mid-run', () => {
  test('pglite', { timeout: 300_000 }, () => scenario('pglite'));
  test('postgres', { timeout: 300_000 }, () => scenario('postgres'));
});
