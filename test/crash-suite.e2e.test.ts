/**
 * Crash suite (short form for CI): the paper runtime trades a book (sma-cross 10/30 on BTC/USD 1h)
 * over the real Q1-2023 hourly candles ingested into a fresh store, and is killed with SIGKILL at
 * seeded random points (after a random number of committed steps, or after a random delay from
 * spawn, which can land in start-up or restore, whichever comes first); each time it is
 * restarted, until it logs market_caught_up at the last candle, then stopped with SIGTERM. The
 * result must equal an uninterrupted in-memory backtest over the same candles and config: same
 * fills fingerprint, the same book state but for its start/stop counts; re-execution reproduces every stored event from the
 * recorded inputs; replayVerify passes (contiguous seqs, chain, every
 * snapshot); every fill id is unique and every bar was processed exactly once.
 *
 * CRASH_SEED (printed) replays a run; CRASH_KILLS sets the kills per engine (default 50 on both,
 * the minimum; CRASH_KILLS=200 is the long form). Every planned kill happens: the step
 * target of each kill is drawn from what is left of the 2160 ticks divided by the kills left, so
 * the book cannot catch up before the last kill (asserted).
 *
 * A SIGKILL leaves the writer lease held for its ttl (3 s here). On PostgreSQL the test expires it
 * in SQL (as the ttl would). On PGlite the restarted runtime takes over a lease whose owner is a
 * dead pid of this host at once (one process per store: src/store/event-store.ts deadLocalOwner),
 * so no PGlite start may be refused with exit 75 (asserted). A PGlite start takes ~2 s (the
 * directory opens in ~0.6-1 s, the rest is node start-up and the first queries on a cold
 * instance). Measured on the 2-core machine: 50 kills take ~95 s on PGlite and ~35 s on
 * PostgreSQL, the whole file ~2.3 min (it was ~1.2 min for 11 + 23 kills before: PGlite waited out
 * the lease, and the book often caught up before the planned kills ran out).
 */
import { mulberry32 } from './support/prng.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';
import { cli, ROOT, runtime, runtimeVars, tempPgDatabase, type LogLine } from './runtime-proc.js';
import { bookKernel, decodeEvent, encodeState, resolveBook, type BookState } from '../src/core/book/index.js';
import { canonicalJson, type CanonicalValue } from '../src/core/canonical/index.js';
import { arrayReader, runBacktest } from '../src/backtest/run.js';
import { encodingSink } from '../src/backtest/sinks.js';
import { FillFingerprint } from '../src/backtest/summary.js';

/**
 * The book's state without its run bookkeeping (how many starts, stops and events): a runtime
 * killed and restarted fifty times and a backtest that started once must agree on everything else.
 */
function tradingPart(s: BookState): string {
  const { counts: _counts, ...rest } = encodeState(s) as { [k: string]: CanonicalValue };
  return canonicalJson(rest);
}

const Q1 = join(ROOT, '../shared/data/external/kraken_ohlcvt_2023q1/XBTUSD_60.csv');
const LAST_CLOSE_MS = Date.parse('2023-04-01T00:00:00Z');
const BOOK = {
  book_id: 'main',
  data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }],
  sizing: { mode: 'pct_equity', pct: '25' },
  initial_cash: '10000',
};
const TICKS = 2160;

const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`crash suite: CRASH_SEED=${SEED}`);


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const steps = (lines: LogLine[]) => lines.filter((l) => l.event === 'step_committed').length;

async function crashRun(engine: 'pglite' | 'postgres', vars: Record<string, string>, kills: number, expireLease: () => Promise<void>): Promise<{ kills: number; starts: number; refused: number }> {
  const rand = mulberry32(SEED ^ (engine === 'pglite' ? 0x5eed : 0xbeef));
  let done = 0;
  let starts = 0;
  let refused = 0; // starts that exited 75 (lease or lock still held)
  let stepsSoFar = 0; // committed steps logged by the killed runs (a tick is one step; a start adds one)
  while (done < kills) {
    assert.ok(starts < kills * 4, `${engine}: ${starts} starts for ${done} kills: the runtime is not making progress`);
    starts++;
    const p = runtime(vars);
    const byDelay = rand() < 0.2;
    // On average the steps left over the kills left plus the final run: the last kill comes before
    // the book catches up (the budget shrinks with what is left, so a long run is made up for).
    const budget = Math.max(1, Math.floor((2 * (TICKS - stepsSoFar)) / (kills - done + 1)));
    const target = 1 + Math.floor(rand() * budget);
    const delay = Math.floor(rand() * 3000);
    const t0 = Date.now();
    let exited: number | null | undefined;
    void p.exit.then((c) => (exited = c));
    while (exited === undefined) {
      if ((byDelay && Date.now() - t0 >= delay) || steps(p.lines) >= target) break;
      if (p.lines.some((l) => l.event === 'market_caught_up')) break;
      await sleep(5);
    }
    if (exited !== undefined) {
      assert.equal(exited, 75, `${engine}: runtime exited ${exited} before the kill; log:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}`);
      refused++;
      await sleep(300); // the killed runtime's lease is still live: try again
      continue;
    }
    if (p.lines.some((l) => l.event === 'market_caught_up')) {
      p.child.kill('SIGTERM');
      assert.equal(await p.exit, 0);
      assert.fail(`${engine}: the book caught up after ${done} of ${kills} kills (${stepsSoFar} steps before this run)`);
    }
    p.child.kill('SIGKILL');
    await p.exit;
    stepsSoFar += steps(p.lines);
    done++;
    await expireLease();
  }
  // the last run: until caught up, then a clean stop
  for (;;) {
    const p = runtime(vars);
    const code = await Promise.race([p.exit, p.waitFor('market_caught_up').then(() => 'caught_up' as const)]);
    if (code === 75) {
      refused++;
      await sleep(300);
      continue;
    }
    assert.equal(code, 'caught_up', `${engine}: final run exited ${String(code)}: ${p.stderr()}`);
    const last = p.lines.find((l) => l.event === 'market_caught_up')!;
    assert.equal(last.last_tick_ms, LAST_CLOSE_MS);
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.stderr());
    return { kills: done, starts: starts + 1, refused };
  }
}

async function checkAgainstBacktest(url: string): Promise<void> {
  const { openDb } = await import('../src/store/open.js');
  const { EventStore } = await import('../src/store/event-store.js');
  const { replayVerify } = await import('../src/replay/verify.js');
  const { CandleStore } = await import('../src/store/candle-store.js');
  const book = resolveBook(BOOK);
  const kernel = bookKernel(book);
  const db = await openDb(url, { command: 'crash-suite check' });
  try {
    const candles = await new CandleStore(db).loadCandles('BTC/USD', 3600, 0, Number.MAX_SAFE_INTEGER);
    assert.equal(candles.length, TICKS);
    const backtest = await runBacktest(book, arrayReader(candles), encodingSink());
    const expected = backtest.summary;
    assert.ok(expected.fills >= 6, `the book should trade: ${expected.fills} fills`);
    const store = new EventStore(db);
    const v = await replayVerify(store, 'book:main', undefined, { name: 'trading', kernel });
    const engineEvents: { type: string; payload: CanonicalValue }[] = [];
    const fingerprint = new FillFingerprint();
    const state = kernel.decider.initialState();
    for await (const batch of store.read('book:main')) {
      for (const e of batch) {
        const typed = decodeEvent(e);
        kernel.decider.evolve(state, typed);
        fingerprint.add(typed);
        if (e.type === 'fill.executed' || e.type === 'bar.closed') engineEvents.push({ type: e.type, payload: e.payload });
      }
    }
    assert.equal(v.state_hash, kernel.stateHash(state), 'replayVerify folded the same state');
    assert.ok(v.snapshots_checked > 0, 'snapshots were written and checked');
    // Re-execute: every step the crashing runtimes wrote (ticks, starts after a crash, the final
    // stop) is reproduced from the recorded inputs by the current kernel, event for event.
    const { reexecute, storeInputs } = await import('../src/replay/index.js');
    const rx = await reexecute(store, 'book:main', kernel, 'trading', storeInputs(db));
    assert.equal(rx.steps_checked, rx.steps);
    assert.ok(rx.steps > TICKS, `${rx.steps} steps: every tick plus the runtime starts and stops`);
    assert.equal(rx.state_hash, v.state_hash, 're-execution ends in the rebuilt state');
    const fills = engineEvents.filter((e) => e.type === 'fill.executed');
    const ids = fills.map((e) => (e.payload as { fill_id: string }).fill_id);
    assert.equal(new Set(ids).size, ids.length, 'a fill id appears twice');
    const bars = engineEvents.filter((e) => e.type === 'bar.closed').map((e) => (e.payload as { open_time_ms: number }).open_time_ms);
    assert.equal(bars.length, TICKS, 'every bar processed exactly once');
    assert.equal(new Set(bars).size, TICKS, 'a bar processed twice');
    assert.deepEqual(bars, [...bars].sort((a, b) => a - b), 'bars out of order');
    assert.equal(fills.length, expected.fills);
    assert.equal(fingerprint.hex(), expected.fingerprint, 'fills fingerprint differs from the uninterrupted backtest');
    assert.equal(tradingPart(state), tradingPart(backtest.state), 'the book state (all but its start/stop counts) differs from the uninterrupted backtest');
  } finally {
    await db.close();
  }
}

describe('crash suite: kill -9 at random points, restart, same result as the uninterrupted backtest', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const setup = async (url: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-crash-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'book.json'), JSON.stringify(BOOK));
    const vars = runtimeVars(url, join(dir, 'snapshots'), { WARDEN_BOOK_CONFIG: join(dir, 'book.json'), WARDEN_SNAPSHOT_EVERY_EVENTS: '400', WARDEN_LOG_LEVEL: 'debug' /* step_committed of a tick is a debug line: the kill points count them */ });
    assert.equal((await cli(['init'], vars)).code, 0);
    const ing = await cli(['ingest', Q1], vars);
    assert.equal(ing.code, 0, ing.stderr);
    return { dir, vars };
  };

  test('pglite', { timeout: 540_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-crash-pgl-'));
    dirs.push(dir);
    const url = `pglite:${join(dir, 'db')}`;
    const { vars } = await setup(url);
    const t0 = Date.now();
    const kills = Number(process.env.CRASH_KILLS ?? 50);
    // Nothing to expire: the next start takes over the dead pid's lease (and its stale lock file).
    const r = await crashRun('pglite', vars, kills, async () => undefined);
    console.log(`crash suite pglite: ${r.kills} kills, ${r.starts} starts, ${r.refused} refused, ${Date.now() - t0} ms (CRASH_SEED=${SEED})`);
    assert.equal(r.refused, 0, 'a PGlite start after kill -9 was refused (exit 75): the dead runtime\'s lease or lock was not taken over');
    await checkAgainstBacktest(url);
  });

  test('postgres', { timeout: 540_000 }, async () => {
    await requirePostgres();
    const admin = new URL(TEST_PG_URL);
    admin.pathname = '/postgres';
    const db = await tempPgDatabase(admin.toString(), uniqueName('warden_crash'));
    try {
      const { vars } = await setup(db.url);
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const t0 = Date.now();
      const kills = Number(process.env.CRASH_KILLS ?? 50);
      const r = await crashRun('postgres', vars, kills, async () => {
        await c.query(`UPDATE warden.streams SET lease_expires_at = now() WHERE stream = 'book:main'`);
      });
      await c.end();
      console.log(`crash suite postgres: ${r.kills} kills, ${r.starts} starts, ${r.refused} refused, ${Date.now() - t0} ms (CRASH_SEED=${SEED})`);
      await checkAgainstBacktest(db.url);
    } finally {
      await db.drop();
    }
  });
});
