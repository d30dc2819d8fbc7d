/**
 * Backtest benchmark on the bundled Kraken hourly BTC/USD + ETH/USD data (the quick-start book):
 * prints bars/s, never asserts.
 *  1. in-engine, in memory: runBacktest over the candles (best of 3).
 *  2. in-engine, persisted, per engine (PGlite in a temp directory; PostgreSQL in a database
 *     `warden_bench` it creates): runBacktest + persistRun (appends of <= 10k events under a
 *     lease, verify, read back and re-fold), with the persist phases split out.
 *  3. whole process: spawn `warden backtest --config ... --json` (CSV source, in memory), then
 *     with --persist on each engine (migrate is done before and not timed).
 * Run: npm run bench:backtest [-- MONTHS]   (default 12 months from 2021-01-01; 0 = all the data)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBacktest, type BacktestResult } from '../src/core/engine/index.js';
import { persistRun } from '../src/cli/commands/backtest-persist.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { loadKrakenCsv } from '../test/support/candles-csv.js';

const MONTHS = Number(process.argv[2] ?? 12);
const FROM = '2021-01-01';
const FROM_MS = Date.parse(`${FROM}T00:00:00Z`);
const end = new Date(FROM_MS);
end.setUTCMonth(end.getUTCMonth() + MONTHS);
const TO = end.toISOString().slice(0, 10);
const range = MONTHS > 0 ? { fromMs: FROM_MS, toMs: end.getTime() } : {};
const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_BENCH_URL = PG_ADMIN_URL.replace(/\/[^/]*$/, '/warden_bench');
const BTC = resolve('data/kraken/XBTUSD_60.csv');
const ETH = resolve('data/kraken/ETHUSD_60.csv');
const CLI = resolve('dist/src/cli/index.js');

const book = {
  book_id: 'bench', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': BTC, 'ETH/USD': ETH } } },
  skills: [{ skill: 'donchian-breakout', symbols: ['BTC/USD'] }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }],
  sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
};
const candles = [...loadKrakenCsv(BTC, 'BTC/USD', 3600, { ...range, dropLast: MONTHS === 0 }), ...loadKrakenCsv(ETH, 'ETH/USD', 3600, range)];
const perS = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

let best = Infinity;
let r: BacktestResult | undefined;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  r = runBacktest(book, candles);
  best = Math.min(best, performance.now() - t);
}
const run = r as BacktestResult;
const bars = run.summary.bars;
const events = run.events.length;
console.log(`data: ${MONTHS > 0 ? `${FROM} .. ${TO} (${MONTHS} months)` : 'all'}: ${bars} bars, ${run.summary.ticks} ticks, ${events} events, ${run.summary.fills} fills`);
console.log(`in-engine, in memory:          ${best.toFixed(0)} ms, ${perS(bars, best)} bars, ${perS(events, best)} events`);

async function persisted(name: string, db: Db): Promise<void> {
  await migrate(db);
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const x = runBacktest(book, candles);
  const t1 = performance.now();
  const p = await persistRun(db, {
    book_id: book.book_id, events: x.events, fingerprint: x.summary.fingerprint, state_hash: x.summary.state_hash,
    onProgress: (phase) => (marks[phase] = performance.now()),
  });
  const t2 = performance.now();
  if (p.state_hash !== x.summary.state_hash) throw new Error('state hash differs after the persist');
  const append = (marks.append ?? t1) - t1;
  const verify = (marks.verify ?? t1) - (marks.append ?? t1);
  const fold = t2 - (marks.verify ?? t1);
  console.log(`in-engine, persisted [${name}]: ${(t2 - t0).toFixed(0)} ms, ${perS(bars, t2 - t0)} bars (run ${(t1 - t0).toFixed(0)} ms; append ${append.toFixed(0)} ms = ${perS(events, append)} events; verify ${verify.toFixed(0)} ms; read + re-fold ${fold.toFixed(0)} ms = ${perS(events, fold)} events)`);
}

function spawnRun(label: string, args: string[], env: Record<string, string>): void {
  const t = performance.now();
  const c = spawnSync(process.execPath, [CLI, 'backtest', '--config', configFile, ...(MONTHS > 0 ? ['--from', FROM, '--to', TO] : []), '--json', ...args], { encoding: 'utf8', env: { ...process.env, ...env, WARDEN_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 26 });
  const ms = performance.now() - t;
  if (c.status !== 0) throw new Error(`${label}: exit ${c.status}: ${c.stderr}`);
  const s = (JSON.parse(c.stdout) as { summary: { bars: number; state_hash: string } }).summary;
  if (s.state_hash !== run.summary.state_hash) throw new Error(`${label}: state hash differs from the in-engine run`);
  console.log(`whole process, ${label.padEnd(16)} ${ms.toFixed(0)} ms, ${perS(s.bars, ms)} bars`);
}

const dir = mkdtempSync(join(tmpdir(), 'warden-bench-backtest-'));
const configFile = join(dir, 'book.json');
writeFileSync(configFile, JSON.stringify(book));
try {
  const pgl = await openPglite(join(dir, 'engine.pglite'), 'warden', 'bench backtest');
  await persisted('pglite', pgl);
  await pgl.close();
  const admin = await openPostgres(PG_ADMIN_URL, 'public');
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['warden_bench']);
  if (exists.length === 0) await admin.exec('CREATE DATABASE warden_bench');
  await admin.close();
  const reset = async () => {
    const b = await openPostgres(PG_BENCH_URL, 'public');
    await b.exec('DROP SCHEMA IF EXISTS warden CASCADE; CREATE SCHEMA warden');
    return b;
  };
  await (await reset()).close();
  const pg = await openPostgres(PG_BENCH_URL, 'warden');
  await persisted('postgres', pg);
  await pg.close();

  spawnRun('in memory:', [], {});
  const pgliteUrl = `pglite:${join(dir, 'cli.pglite')}`;
  spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, WARDEN_DATABASE_URL: pgliteUrl, WARDEN_LOG_LEVEL: 'warn' } });
  spawnRun('--persist pglite:', ['--persist'], { WARDEN_DATABASE_URL: pgliteUrl });
  await (await reset()).close();
  spawnSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, WARDEN_DATABASE_URL: PG_BENCH_URL, WARDEN_LOG_LEVEL: 'warn' } });
  spawnRun('--persist pg:', ['--persist'], { WARDEN_DATABASE_URL: PG_BENCH_URL });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
