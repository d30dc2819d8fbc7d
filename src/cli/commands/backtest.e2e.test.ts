/**
 * `warden backtest` as a user runs it: a book config naming the real Kraken 2023-Q1 hourly
 * BTC/USD file, run through the CLI process. Its JSON summary must equal runBacktest over the same
 * candles read by an independent loader; the same book reading its candles from the store (after
 * migrate + ingest of that file) gives the same summary; a bad config exits 78 naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../../test/support/candles-csv.js';
import { runBacktest } from '../../core/engine/index.js';
import { cleanEnv, runCli } from '../../../test/support/cli.js';

const cli = fileURLToPath(new URL('../index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-backtest-'));
const book = {
  book_id: 'cli-btc', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': BTC_2023Q1_HOURLY } } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }], sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
};

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'backtest', ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('warden backtest --json prints the same summary as runBacktest on the same real candles; --from/--to select bars', () => {
  const file = join(dir, 'book.json');
  writeFileSync(file, JSON.stringify(book));
  const r = run(['--config', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { summary: Record<string, unknown>; book_id: string };
  const expected = runBacktest(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600)).summary;
  assert.deepEqual(out.summary, { ...expected });
  assert.equal(out.summary.bars, 2160);
  const part = run(['--config', file, '--json', '--from', '2023-02-01', '--to', '2023-03-01']);
  assert.equal(part.status, 0, part.stderr);
  assert.equal((JSON.parse(part.stdout) as { summary: { bars: number } }).summary.bars, 28 * 24);
  const human = run(['--config', file]);
  assert.equal(human.status, 0);
  assert.match(human.stdout, new RegExp(`fingerprint\\s+${String(expected.fingerprint)}`));
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

test('warden backtest reads the same candles from the store after migrate + ingest (embedded PGlite)', () => {
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
