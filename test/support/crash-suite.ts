/**
 * Test helper (not a test): the crash suite, one engine per test file
 * (../crash-suite-pglite.e2e.test.ts, ../crash-suite-postgres.e2e.test.ts: the two engines run in
 * the runner's two slots side by side, each file with its own time budget).
 *
 * Crash suite (short form for CI): the paper runtime trades a book (sma-cross 10/30 on BTC/USD 1h)
 * over the real Q1-2023 hourly candles ingested into a fresh store, and is killed with SIGKILL at
 * seeded random points (after a random number of committed steps, or after a random delay from
 * spawn, which can land in start-up or restore, whichever comes first); each time it is
 * restarted, until it logs market_caught_up at the last candle, then stopped with SIGTERM.
 *
 * Operator commands are in flight around the kills: at two kills while the book catches up, and
 * in four more killed runs after it caught up, a `warden book pause` / `resume` (alternating) is
 * recorded through the CLI, before the restart (both engines: the embedded store is the
 * runtime's alone while it runs) or while the runtime runs (PostgreSQL, once caught up: during
 * catch-up the ~1 s of a CLI run would feed hundreds of ticks), and that run is killed around it:
 * before the inbox is polled, right at the commit of its step, or a few steps or tens of ms after
 * it. Each command must be applied exactly once, in inbox order: one operator step per inbox id,
 * each applied (alternating, so a lost or repeated command would be rejected), the final status
 * the last command's.
 *
 * The result must equal an uninterrupted in-memory run of the same inputs: the ticks of the stored
 * candles and the inbox commands applied at the points the log shows (with no command, that is
 * the uninterrupted backtest, also checked for the bars): same fills fingerprint, the same book
 * state but for its start/stop counts; re-execution reproduces every stored event from the
 * recorded inputs; replayVerify passes (contiguous seqs, chain, every snapshot); every fill id is
 * unique and every bar was processed exactly once.
 *
 * CRASH_SEED (printed; a new one per run) replays a run; CRASH_KILLS sets the kills per engine
 * (default and minimum 50: a smaller count is refused, not run; CRASH_KILLS=200 is the long
 * form). Every planned kill happens: the step target of each kill is drawn from what is left of
 * the 2160 ticks divided by the kills left, so the book cannot catch up before the last kill
 * (asserted).
 *
 * Approvals in flight: ../crash-approvals.e2e.test.ts (its own file: its own time budget).
 *
 * A SIGKILL leaves the writer lease held for its ttl (3 s here). On PostgreSQL the test expires it
 * in SQL (as the ttl would). On PGlite the restarted runtime takes over a lease whose owner is a
 * dead pid of this host at once (one process per store: src/store/event-store.ts deadLocalOwner),
 * so no PGlite start may be refused with exit 75 (asserted). A PGlite start takes ~2 s (the
 * directory opens in ~0.6-1 s, the rest is node start-up and the first queries on a cold
 * instance). Measured on the 2-core machine: 50 kills take ~95 s on PGlite and ~35 s on
 * PostgreSQL, before the operator commands; the six commands per engine add one CLI run each and
 * four killed runs. On a loaded machine (load 10-15) the PostgreSQL file took ~5 min and the
 * PGlite one more than 9 (each PGlite start is several times slower there).
 */
import { mulberry32 } from './prng.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePostgres, TEST_PG_URL, uniqueName } from './engines.js';
import { EXTERNAL_DATA_DIR } from './market-data.js';
import { suiteCount, suiteSeed } from './suite-size.js';
import { checkCrashResult } from './crash-check.js';
import { smaBookConfig } from './book-driver.js';
import { seedPgliteDir } from './pglite-template.js';
import { cli, runtime, runtimeVars, tempPgDatabase, type LogLine, type Proc } from '../runtime-proc.js';

const Q1 = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const LAST_CLOSE_MS = Date.parse('2023-04-01T00:00:00Z');
const BOOK = smaBookConfig('main');
const TICKS = 2160;
/** One engine per file: its one test may take most of the file's 900 s budget (scripts/run-tests.mjs). */
const TEST_BUDGET_MS = 840_000;
const KILLS_MIN = 50;
/** Kills (by index) with an operator command in flight while the book catches up, and commands after it caught up. */
const COMMAND_KILLS_CATCHING_UP = [2, 9];
const COMMANDS_CAUGHT_UP = 4;


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const steps = (lines: LogLine[]) => lines.filter((l) => l.event === 'step_committed').length;
const isOperatorCommit = (l: LogLine) => l.event === 'step_committed' && l.command === 'operator.command';

/** The runtimes started and not yet exited: killed when the suite ends, so a timed-out run leaves none behind eating the next files' CPU. */
const live = new Set<Proc>();
function startRuntime(vars: Record<string, string>): Proc {
  const p = runtime(vars);
  live.add(p);
  void p.exit.then(() => live.delete(p));
  return p;
}

/** Where a run with a command in flight is killed, relative to the command's step. */
type Around = 'before_poll' | 'at_commit' | 'after';
/** When the command is recorded: before the restart, or while the runtime runs (PostgreSQL only). */
type When = 'before_start' | 'while_running';
interface InFlight {
  readonly when: When;
  readonly at: Around;
  /** 'after': killed this many steps after the command's step, or this many x 40 ms, whichever first. */
  readonly extra: number;
}

interface Engine {
  readonly name: 'pglite' | 'postgres';
  readonly vars: Record<string, string>;
  readonly expireLease: () => Promise<void>;
}

/** Records the next command (pause, resume, pause, ...) through the CLI; returns it. */
async function issue(e: Engine, n: number): Promise<string> {
  const verb = n % 2 === 0 ? 'pause' : 'resume';
  const r = await cli(['book', verb, '--reason', `crash suite command ${n + 1}`], e.vars);
  assert.equal(r.code, 0, `${e.name}: warden book ${verb} exited ${r.code}: ${r.stderr}`);
  return `book.${verb}`;
}

/**
 * Waits until the run reaches its kill point (or exits): a step count or a delay for a plain kill;
 * for a run with a command in flight, a point around the first operator step after `opsBefore`.
 * Returns early at market_caught_up while the book is catching up (the caller fails on it).
 */
async function killPoint(p: Proc, exited: () => boolean, plain: { byDelay: boolean; delay: number; target: number }, around: (InFlight & { opsBefore: number; caughtUp: boolean }) | null): Promise<void> {
  const t0 = Date.now();
  let appliedAt = 0;
  while (!exited()) {
    assert.ok(Date.now() - t0 < 60_000, `no kill point within 60 s (${JSON.stringify(around)}); log:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}`);
    if (!around?.caughtUp && p.lines.some((l) => l.event === 'market_caught_up')) return;
    if (around === null) {
      if ((plain.byDelay && Date.now() - t0 >= plain.delay) || steps(p.lines) >= plain.target) return;
    } else if (around.at === 'before_poll') {
      // the runtime's own start committed, the first inbox poll (250 ms later) most likely not yet
      if (p.lines.some((l) => l.event === 'step_committed')) return;
    } else {
      let ops = 0;
      let after = -1; // steps committed after the command's step; -1: not applied yet
      for (const l of p.lines) {
        if (after >= 0 && l.event === 'step_committed') after++;
        else if (isOperatorCommit(l) && ++ops > around.opsBefore) after = 0;
      }
      if (after >= 0 && appliedAt === 0) appliedAt = Date.now();
      if (around.at === 'at_commit' && after >= 0) return;
      if (around.at === 'after' && after >= 0 && (after >= around.extra || Date.now() - appliedAt >= around.extra * 40)) return;
    }
    await sleep(around?.at === 'at_commit' ? 1 : 5);
  }
}

interface RunState {
  starts: number;
  refused: number;
  commands: string[];
  arounds: string[];
}

/**
 * One start of the runtime, killed with SIGKILL at its kill point; a command in flight is recorded
 * before the start or once it is ready. Returns the steps it logged, or null when the start was
 * refused (75: the killed runtime's lease still live) and must be tried again.
 */
async function killedRun(e: Engine, st: RunState, plain: { byDelay: boolean; delay: number; target: number }, cmd: (InFlight & { caughtUp: boolean; issued: boolean }) | null): Promise<{ steps: number; caughtUp: boolean } | null> {
  if (cmd !== null && cmd.when === 'before_start' && !cmd.issued) {
    st.commands.push(await issue(e, st.commands.length));
    cmd.issued = true;
  }
  st.starts++;
  const p = startRuntime(e.vars);
  let exited: number | null | undefined;
  void p.exit.then((c) => (exited = c));
  if (cmd === null || cmd.when === 'before_start') await killPoint(p, () => exited !== undefined, plain, cmd && { ...cmd, opsBefore: 0 });
  else if (await p.waitFor(cmd.caughtUp ? 'market_caught_up' : 'ready').then(() => true, () => false)) { // a refused start exits first
    const opsBefore = p.lines.filter(isOperatorCommit).length;
    st.commands.push(await issue(e, st.commands.length));
    cmd.issued = true;
    // before_poll while running: killed as soon as it is recorded, polled or not
    if (cmd.at !== 'before_poll') await killPoint(p, () => exited !== undefined, plain, { ...cmd, opsBefore });
  }
  if (exited !== undefined) {
    assert.equal(exited, 75, `${e.name}: runtime exited ${exited} before the kill; log:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr()}`);
    st.refused++;
    await sleep(300); // the killed runtime's lease is still live: try again
    return null;
  }
  const caughtUp = p.lines.some((l) => l.event === 'market_caught_up');
  if (caughtUp && cmd !== null && !cmd.caughtUp && cmd.at !== 'before_poll' && !p.lines.some(isOperatorCommit)) {
    p.child.kill('SIGKILL');
    assert.fail(`${e.name}: inbox command ${st.commands.length} (${st.commands[st.commands.length - 1]}), recorded before the start, was not applied before the book caught up`);
  }
  if (caughtUp && !cmd?.caughtUp) {
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0);
    return { steps: steps(p.lines), caughtUp };
  }
  p.child.kill('SIGKILL');
  await p.exit;
  if (cmd !== null) st.arounds.push(`${cmd.caughtUp ? 'caught up' : 'catching up'} ${cmd.when}/${cmd.at}: ${p.lines.filter(isOperatorCommit).length} applied in the run`);
  await e.expireLease();
  return { steps: steps(p.lines), caughtUp };
}

const drawInFlight = (e: Engine, rand: () => number, whileRunning: boolean): InFlight => ({
  at: (['before_poll', 'at_commit', 'after'] as const)[Math.floor(rand() * 3)]!,
  when: e.name === 'postgres' && whileRunning && rand() < 0.5 ? 'while_running' : 'before_start',
  extra: 1 + Math.floor(rand() * 5),
});

async function crashRun(e: Engine, kills: number, seed: number): Promise<RunState & { kills: number }> {
  const rand = mulberry32(seed ^ (e.name === 'pglite' ? 0x5eed : 0xbeef));
  const st: RunState = { starts: 0, refused: 0, commands: [], arounds: [] };
  let done = 0;
  let stepsSoFar = 0; // committed steps logged by the killed runs (a tick is one step; a start or a command adds one)
  let cmd: (InFlight & { caughtUp: boolean; issued: boolean }) | null = null; // the command of this kill, until it is done
  // Catching up: `kills` kills, COMMANDS_CATCHING_UP of them with a command in flight (recorded
  // before the start: the ~1 s of a CLI run while running would feed hundreds of ticks).
  while (done < kills) {
    assert.ok(st.starts < kills * 4, `${e.name}: ${st.starts} starts for ${done} kills: the runtime is not making progress`);
    // On average the steps left over the kills left plus the final run: the last kill comes before
    // the book catches up (the budget shrinks with what is left, so a long run is made up for).
    const budget = Math.max(1, Math.floor((2 * (TICKS - stepsSoFar)) / (kills - done + 1)));
    const plain = { byDelay: rand() < 0.2, target: 1 + Math.floor(rand() * budget), delay: Math.floor(rand() * 3000) };
    if (cmd === null && COMMAND_KILLS_CATCHING_UP.includes(done)) cmd = { ...drawInFlight(e, rand, false), caughtUp: false, issued: false };
    const r = await killedRun(e, st, plain, cmd);
    if (r === null) continue;
    assert.ok(!r.caughtUp, `${e.name}: the book caught up after ${done} of ${kills} kills (${stepsSoFar} steps before this run)`);
    cmd = null;
    stepsSoFar += r.steps;
    done++;
  }
  // Caught up (the first of these runs feeds the last ticks): a command in flight in each run.
  for (let i = 0; i < COMMANDS_CAUGHT_UP;) {
    cmd ??= { ...drawInFlight(e, rand, true), caughtUp: true, issued: false };
    if ((await killedRun(e, st, { byDelay: false, delay: 0, target: 0 }, cmd)) === null) continue;
    cmd = null;
    done++;
    i++;
  }
  // the last run: until caught up and every command applied, then a clean stop
  for (;;) {
    st.starts++;
    const p = startRuntime(e.vars);
    const code = await Promise.race([p.exit, p.waitFor('market_caught_up').then(() => 'caught_up' as const)]);
    if (code === 75) {
      st.refused++;
      await sleep(300);
      continue;
    }
    assert.equal(code, 'caught_up', `${e.name}: final run exited ${String(code)}: ${p.stderr()}`);
    const last = p.lines.find((l) => l.event === 'market_caught_up')!;
    assert.equal(last.last_tick_ms, LAST_CLOSE_MS);
    await sleep(1000); // four inbox polls: a command recorded by the last killed run is applied by now
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0, p.stderr());
    return { ...st, kills: done };
  }
}

/**
 * Declares the crash suite of one engine (a test file per engine). The seed is drawn (or read from
 * CRASH_SEED) per file and printed; each engine derives its own stream from it, so one CRASH_SEED
 * replays either file.
 */
export function crashSuite(engine: 'pglite' | 'postgres'): void {
  const seed = suiteSeed('CRASH_SEED', process.env.CRASH_SEED);
  console.log(`crash suite ${engine}: CRASH_SEED=${seed}`);

  describe(`crash suite [${engine}]: kill -9 at random points and around operator commands, restart, same result as the uninterrupted run`, () => {
    const dirs: string[] = [];
    after(async () => {
      for (const p of live) p.child.kill('SIGKILL');
      await Promise.all([...live].map((p) => p.exit));
      dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    });

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

    const run = async (e: Engine, url: string) => {
      const t0 = Date.now();
      const kills = suiteCount('CRASH_KILLS', process.env.CRASH_KILLS, KILLS_MIN, KILLS_MIN);
      const r = await crashRun(e, kills, seed);
      console.log(`crash suite ${e.name}: ${r.kills} kills, ${r.starts} starts, ${r.refused} refused, ${r.commands.length} operator commands in flight (${r.arounds.join('; ')}), ${Date.now() - t0} ms (CRASH_SEED=${seed})`);
      assert.equal(r.commands.length, COMMAND_KILLS_CATCHING_UP.length + COMMANDS_CAUGHT_UP, 'every planned operator command was recorded');
      await checkCrashResult(url, BOOK, TICKS, r.commands);
      return r;
    };

    if (engine === 'pglite') {
      test('pglite', { timeout: TEST_BUDGET_MS }, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'warden-crash-pgl-'));
        dirs.push(dir);
        await seedPgliteDir(join(dir, 'db')); // a new store without initdb's cost (./pglite-template.ts); `warden init` migrates it
        const url = `pglite:${join(dir, 'db')}`;
        const { vars } = await setup(url);
        // Nothing to expire: the next start takes over the dead pid's lease (and its stale lock file).
        const r = await run({ name: 'pglite', vars, expireLease: async () => undefined }, url);
        assert.equal(r.refused, 0, 'a PGlite start after kill -9 was refused (exit 75): the dead runtime\'s lease or lock was not taken over');
      });
    } else {
      test('postgres', { timeout: TEST_BUDGET_MS }, async () => {
        await requirePostgres();
        const admin = new URL(TEST_PG_URL);
        admin.pathname = '/postgres';
        const db = await tempPgDatabase(admin.toString(), uniqueName('warden_crash'));
        try {
          const { vars } = await setup(db.url);
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: db.url });
          await c.connect();
          try {
            await run({ name: 'postgres', vars, expireLease: async () => void (await c.query(`UPDATE warden.streams SET lease_expires_at = now() WHERE stream = 'book:main'`)) }, db.url);
          } finally {
            await c.end();
          }
        } finally {
          await db.drop();
        }
      });
    }
  });
}
