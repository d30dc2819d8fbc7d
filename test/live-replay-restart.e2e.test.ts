/**
 * The paper runtime in operation over a month of real hourly Kraken BTC/USD and ETH/USD data
 * (December 2022), on both engines, with the demo book of `npm start` (config/demo.book.json: two
 * skills, entries above 2000 USD wait for a human). Two runs of the same inputs:
 *
 * - interrupted: the replay feed releases 2022-12-01..T1 at 60 bars/s; the runtime is stopped with
 *   SIGTERM mid-replay and restarted (the replay resumes after the stored candles, at the fastest
 *   pace: only the stop needs a pace a test can land inside the replay); once the book
 *   has caught up to T1 (the replay's end), the newest waiting directive is approved through the
 *   CLI while it runs; SIGTERM, restart; the rest of the month is dropped into the file-drop
 *   feed's folder; the book runs to 2023-01-01; SIGTERM.
 * - uninterrupted: the same, in one process, the replay at the fastest pace (nothing in it waits on
 *   the wall clock: the book waits at T1, the replay's end, whatever the pace; ~3 s less a run).
 *
 * The approval is applied while the book waits at T1 in both runs, so both books see the same
 * inputs in the same order. Then `warden replay verify` passes on both stores, the book's events
 * other than runtime.started/stopped (and their step.started) are identical (type, payload), and the final state is equal:
 * its hash with the counters of runtime starts, stops and events set aside (the only state the
 * restarts add) is the same, and those counters differ by exactly two restarts.
 */
import assert from 'node:assert/strict';
import { until } from './support/book-e2e.js';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { processStore } from './support/engines.js';
import { EXTERNAL_DATA_DIR } from './support/market-data.js';
import { cli, ROOT, RUNTIME_JS, runtimeVars, start, type Proc } from './runtime-proc.js';
import { openDb } from '../src/store/open.js';
import { REPLAY_BARS_PER_SECOND_MAX } from '../src/feeds/replay.js';
import { EventStore } from '../src/store/event-store.js';
import { restore } from '../src/runtime/restore.js';
import { tradingKernelFrom } from '../src/runtime/book-config.js';
import { canonicalBytes, type CanonicalValue } from '../src/core/canonical/index.js';
import { sha256, toHex } from '../src/core/canonical/hash.js';

const DIR = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_hourly_full');
const BOOK_FILE = join(ROOT, 'config', 'demo.book.json');
const FROM = '2022-12-01';
const T1 = '2022-12-08';
const END = Date.UTC(2023, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const T1_MS = Date.parse(`${T1}T00:00:00Z`);

type Vars = Record<string, string>;
interface Outcome { trading_hash: string; state_hash: string; events: string[]; approved: string; starts: number; counts: Record<string, number> }


const caughtUpAt = (rt: Proc, ms: number) => until(`the book at ${iso(ms)}`, rt, () => (rt.lines.some((l) => l.event === 'market_caught_up' && l.last_tick === iso(ms)) ? true : null));

async function stop(rt: Proc): Promise<void> {
  rt.child.kill('SIGTERM');
  assert.equal(await rt.exit, 0, rt.stderr());
}

async function startReady(vars: Vars): Promise<Proc> {
  // PostgreSQL: the lease was released at the clean stop, so a restart is never refused
  const rt = start([process.execPath, RUNTIME_JS], vars);
  await rt.waitFor('ready');
  return rt;
}

/** The rest of the month, as Kraken files in the drop folder (written aside, then renamed in). */
function dropRest(drop: string): void {
  for (const f of ['XBTUSD_60.csv', 'ETHUSD_60.csv']) {
    const rows = readFileSync(join(DIR, f), 'utf8').split('\n').filter((l) => {
      const t = Number(l.split(',')[0]) * 1000;
      return t >= T1_MS && t < END;
    });
    writeFileSync(join(drop, `${f}.part`), rows.join('\n') + '\n');
    renameSync(join(drop, `${f}.part`), join(drop, f));
  }
}

async function approveNewest(vars: Vars): Promise<string> {
  const r = await cli(['directives', 'list', '--book', 'demo', '--status', 'proposed', '--json'], vars);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { directives: { directive_id: string }[] } | { directive_id: string }[];
  const list = Array.isArray(j) ? j : j.directives;
  const id = list.map((d) => d.directive_id).sort((a, b) => Number(b.slice(1)) - Number(a.slice(1)))[0];
  assert.ok(id, 'a directive waits for approval at T1');
  const ok = await cli(['directives', 'approve', id, '--book', 'demo', '--as', 'alice', '--note', 'process test'], vars);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, new RegExp(`${id} is now complete`));
  return id;
}

async function outcome(url: string, approved: string): Promise<Outcome> {
  const db = await openDb(url, { command: 'process test check' });
  try {
    const store = new EventStore(db);
    const events: string[] = [];
    let starts = 0;
    for await (const batch of store.read('book:demo')) {
      for (const e of batch) {
        if (e.type === 'runtime.started') starts++;
        if (e.type === 'runtime.started' || e.type === 'runtime.stopped') continue;
        if (e.type === 'step.started' && String((e.payload as { command?: unknown }).command).startsWith('runtime.')) continue; // the steps that wrote them
        events.push(`${e.type} ${Buffer.from(canonicalBytes(e.payload as CanonicalValue)).toString('utf8')}`);
      }
    }
    const { kernel } = await tradingKernelFrom(BOOK_FILE, 'demo');
    const r = await restore(store, 'book:demo', kernel);
    const enc = kernel.codec.encode(r.state) as { counts: Record<string, number> };
    assert.equal(typeof enc.counts.starts, 'number');
    const trading = { ...enc, counts: { ...enc.counts, events: 0, starts: 0, stops: 0 } };
    return { trading_hash: toHex(sha256(canonicalBytes(trading as unknown as CanonicalValue))), state_hash: r.state_hash, events, approved, starts, counts: enc.counts };
  } finally {
    await db.close();
  }
}

async function scenario(engine: 'pglite' | 'postgres', interrupted: boolean): Promise<Outcome> {
  const store = await processStore(engine, `live-month-${interrupted ? 'stop' : 'one'}`);
  const dir = mkdtempSync(join(tmpdir(), 'warden-live-month-'));
  try {
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    const feeds = {
      feeds: [
        { name: 'month', kind: 'replay', files: [{ file: join(DIR, 'XBTUSD_60.csv') }, { file: join(DIR, 'ETHUSD_60.csv') }], bars_per_second: interrupted ? 60 : REPLAY_BARS_PER_SECOND_MAX, from: FROM, to: T1 },
        { name: 'drop', kind: 'file-drop', dir: drop, poll_ms: 200, settle_ms: 0 },
      ],
    };
    writeFileSync(join(dir, 'feeds.json'), JSON.stringify(feeds));
    const vars = runtimeVars(store.url, join(dir, 'snapshots'), { WARDEN_BOOK: 'demo', WARDEN_BOOK_CONFIG: BOOK_FILE, WARDEN_FEEDS: join(dir, 'feeds.json') });
    assert.equal((await cli(['init'], vars)).code, 0);
    let rt = await startReady(vars);
    if (interrupted) {
      // stopped mid-replay (some days in), restarted: the replay resumes after the stored candles
      await until('the replay to be some days in', rt, () => (rt.lines.some((l) => l.event === 'market_caught_up' && typeof l.last_tick_ms === 'number' && l.last_tick_ms >= Date.parse(`${FROM}T00:00:00Z`) + 2 * 86_400_000) ? true : null));
      await stop(rt);
      // the rest of the replay at the fastest pace: the restart reads the feeds file again
      writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ ...feeds.feeds[0], bars_per_second: REPLAY_BARS_PER_SECOND_MAX }, feeds.feeds[1]] }));
      rt = await startReady(vars);
    }
    await caughtUpAt(rt, T1_MS);
    const approved = await approveNewest(vars);
    if (interrupted) {
      await stop(rt);
      rt = await startReady(vars);
    }
    dropRest(drop);
    await caughtUpAt(rt, END);
    await stop(rt);
    const v = await cli(['replay', 'verify', '--book', 'demo', '--json'], vars);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const out = await outcome(store.url, approved);
    assert.equal((JSON.parse(v.stdout) as { streams: { stream: string; state_hash: string }[] }).streams.find((s) => s.stream === 'book:demo')?.state_hash, out.state_hash, 'replay verify re-executes to the stored state');
    return out;
  } finally {
    await store.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`a month of hourly data through the runtime, stopped and restarted [${engine}]`, () => {
    test('SIGTERM + restart twice, an approval through the CLI while it runs: replay verify passes and the final state equals an uninterrupted run\'s', async () => {
      const stopped = await scenario(engine, true);
      const straight = await scenario(engine, false);
      assert.equal(stopped.starts, 3);
      assert.equal(straight.starts, 1);
      assert.equal(stopped.approved, straight.approved, 'the same directive waited at T1');
      assert.ok(stopped.events.some((e) => e.startsWith('fill.executed')), 'the book traded');
      const i = stopped.events.findIndex((e, k) => e !== straight.events[k]);
      assert.equal(i, -1, `event #${i} differs (runtime events aside):\n${stopped.events.slice(i, i + 3).join('\n').slice(0, 3000)}\nvs\n${straight.events.slice(i, i + 3).join('\n').slice(0, 3000)}`);
      assert.equal(stopped.events.length, straight.events.length);
      assert.equal(stopped.trading_hash, straight.trading_hash);
      // what the two restarts add: a start and a stop each, and their 4 events (step.started + runtime.stopped, step.started + runtime.started)
      assert.deepEqual(stopped.counts, { ...straight.counts, events: straight.counts.events! + 8, starts: straight.counts.starts! + 2, stops: straight.counts.stops! + 2 });
      assert.notEqual(stopped.state_hash, straight.state_hash, 'the full state also counts them');
    });
  });
}
