/**
 * `warden backtest` as a user runs it: a book config naming the real Kraken 2023-Q1 hourly
 * BTC/USD file, run through the CLI process. Its JSON summary must equal the backtest driver
 * (src/backtest/run.ts) over the same candles read by an independent loader; the same book reading its candles from the store (after
 * migrate + ingest of that file) gives the same summary; a bad config exits 78 naming the field;
 * --persist gives the in-memory fingerprint and state hash, idempotently, and --report writes the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../../test/support/candles-csv.js';
import type { BookConfigInput } from '../../core/book/index.js';
import { backtest } from '../../../test/support/book.js';
import { cleanEnv, runCli } from '../../../test/support/cli.js';
import { seedPgliteDir } from '../../../test/support/pglite-template.js';

const cli = fileURLToPath(new URL('../index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-backtest-'));
const book: BookConfigInput = {
  book_id: 'cli-btc', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': BTC_2023Q1_HOURLY } } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }], sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
};

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'backtest', ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('warden backtest --json prints the same summary as runBacktest on the same real candles; --from/--to select bars', async () => {
  const file = join(dir, 'book.json');
  writeFileSync(file, JSON.stringify(book));
  const r = run(['--config', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { summary: Record<string, unknown>; book_id: string };
  const expected = (await backtest(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600))).summary;
  assert.deepEqual(out.summary, { ...expected });
  assert.equal(out.summary.bars, 2160);
  const part = run(['--config', file, '--json', '--from', '2023-02-01', '--to', '2023-03-01']);
  assert.equal(part.status, 0, part.stderr);
  assert.equal((JSON.parse(part.stdout) as { summary: { bars: number } }).summary.bars, 28 * 24);
  const human = run(['--config', file]);
  assert.equal(human.status, 0);
  assert.match(human.stdout, new RegExp(`fingerprint\\s+${String(expected.fingerprint)}`));
  assert.equal(r.stderr, '', 'no timings unless asked');
  // --timings: the same summary on stdout, and where the process's time went on stderr (parts within the total)
  const timed = run(['--config', file, '--json', '--timings']);
  assert.equal(timed.status, 0, timed.stderr);
  assert.deepEqual((JSON.parse(timed.stdout) as { summary: unknown }).summary, out.summary);
  const m = /^timings \(ms\): start-up (\d+), imports (\d+), config (\d+), read\+gate (\d+), kernel (\d+), output (\d+); total (\d+)\n$/.exec(timed.stderr);
  assert.ok(m !== null, timed.stderr);
  const [startup, imports, config, read, kernel, output, total] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  assert.ok(startup > 0 && read > 0 && kernel > 0, timed.stderr);
  assert.ok(startup + imports + config + read + kernel + output <= total + 6, `the parts (rounded) fit in the total: ${timed.stderr}`);
});

test('warden backtest refuses a bad config with exit 78 and names the field', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ ...book, sizing: { mode: 'pct_equity', pct: '-5' } }));
  const r = run(['--config', file]);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /sizing/);
  const unknown = join(dir, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ ...book, skills: [{ skill: 'nope', symbols: ['BTC/USD'] }] }));
  const u = run(['--config', unknown]);
  assert.equal(u.status, 78);
  assert.match(u.stderr, /unknown skill nope@1/);
});

test('warden backtest reads the same candles from the store after migrate + ingest (embedded PGlite)', async () => {
  await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (test/support/pglite-template.ts); migrate below
  const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${join(dir, 'store.pglite')}`, WARDEN_LOG_LEVEL: 'warn' });
  assert.equal(runCli(['migrate'], env).code, 0);
  const ing = runCli(['ingest', BTC_2023Q1_HOURLY], env);
  assert.equal(ing.code, 0, ing.stderr);
  const fromCsv = join(dir, 'csv.json');
  const fromStore = join(dir, 'store.json');
  writeFileSync(fromCsv, JSON.stringify(book));
  writeFileSync(fromStore, JSON.stringify({ ...book, data: { ...book.data, source: { kind: 'store' } } }));
  const a = runCli(['backtest', '--config', fromCsv, '--json'], env);
  const b = runCli(['backtest', '--config', fromStore, '--json'], env);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const sa = (JSON.parse(a.stdout) as { summary: { fingerprint: string; bars: number } }).summary;
  const sb = (JSON.parse(b.stdout) as { summary: { fingerprint: string; bars: number } }).summary;
  assert.equal(sb.bars, 2160);
  assert.equal(sb.fingerprint, sa.fingerprint);
});

test('warden backtest --persist stores the run (same fingerprint and state hash as in memory), idempotently; --report writes the page', async () => {
  await seedPgliteDir(join(dir, 'persist.pglite')); // as above
  const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${join(dir, 'persist.pglite')}`, WARDEN_LOG_LEVEL: 'warn' });
  assert.equal(runCli(['migrate'], env).code, 0);
  const file = join(dir, 'persist.json');
  writeFileSync(file, JSON.stringify(book));
  const mem = runCli(['backtest', '--config', file, '--json'], env);
  assert.equal(mem.code, 0, mem.stderr);
  const m = JSON.parse(mem.stdout) as { summary: { fingerprint: string; state_hash: string }; persisted: null };
  assert.equal(m.persisted, null);
  const html = join(dir, 'reports', 'persist.html');
  type Out = { summary: { fingerprint: string; state_hash: string }; persisted: { stream: string; status: string; events: number; appended: number; fingerprint: string; state_hash: string }; report: string };
  const first = runCli(['backtest', '--config', file, '--persist', '--report', html, '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  const a = JSON.parse(first.stdout) as Out;
  assert.equal(a.summary.fingerprint, m.summary.fingerprint);
  assert.equal(a.summary.state_hash, m.summary.state_hash);
  assert.equal(a.persisted.fingerprint, m.summary.fingerprint);
  assert.equal(a.persisted.state_hash, m.summary.state_hash);
  assert.equal(a.persisted.status, 'persisted');
  assert.equal(a.persisted.appended, a.persisted.events);
  assert.equal(a.report, html);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes(m.summary.fingerprint) && page.includes(a.persisted.stream));
  const second = runCli(['backtest', '--config', file, '--persist'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`persisted\\s+${a.persisted.stream}: ${a.persisted.events} events \\(already stored, nothing appended\\)`));
  const init = runCli(['init', '--json'], env);
  assert.equal(init.code, 0, init.stderr);
  const streams = (JSON.parse(init.stdout) as { streams: { stream: string; verified_events: number }[] }).streams;
  assert.deepEqual(streams.map((s) => [s.stream, s.verified_events]), [[a.persisted.stream, a.persisted.events]]);
});

test('warden backtest --persist reads a CSV as the config names it, like the in-memory run: any file name; a name that names another pair is exit 65 [symbol] both ways', async () => {
  await seedPgliteDir(join(dir, 'named.pglite'));
  const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${join(dir, 'named.pglite')}`, WARDEN_LOG_LEVEL: 'warn' });
  assert.equal(runCli(['migrate'], env).code, 0);
  const csv = join(dir, 'btc q1.csv'); // names no pair or interval: the config's data.source.paths key and timeframe say what it is
  writeFileSync(csv, readFileSync(BTC_2023Q1_HOURLY));
  const file = join(dir, 'named.json');
  writeFileSync(file, JSON.stringify({ ...book, data: { ...book.data, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': 'btc q1.csv' } } } }));
  const mem = runCli(['backtest', '--config', file, '--json'], env);
  assert.equal(mem.code, 0, mem.stderr);
  const stored = runCli(['backtest', '--config', file, '--persist', '--json'], env);
  assert.equal(stored.code, 0, stored.stderr);
  type Out = { summary: { state_hash: string; bars: number } };
  assert.equal((JSON.parse(stored.stdout) as Out).summary.state_hash, (JSON.parse(mem.stdout) as Out).summary.state_hash);
  assert.equal((JSON.parse(stored.stdout) as Out).summary.bars, 2160);
  const eth = join(dir, 'ETHUSD_60.csv'); // a name that says ETH/USD, read as BTC/USD
  writeFileSync(eth, readFileSync(BTC_2023Q1_HOURLY));
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ ...book, data: { ...book.data, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': 'ETHUSD_60.csv' } } } }));
  for (const args of [[], ['--persist']]) {
    const r = runCli(['backtest', '--config', wrong, ...args], env);
    assert.equal(r.code, 65, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `warden: ${eth}: [symbol] symbol BTC/USD does not match the file name ETHUSD_60.csv (ETH/USD)`, args.join(' '));
  }
});
