/**
 * A persisted backtest is a book stream like a runtime's, as a user sees it through the CLI on the
 * embedded store: `warden backtest --persist` over a real Kraken CSV (ingested through the gate
 * first, so its candles are recorded inputs) names a stream backtest:<book>:<run>; `warden replay
 * verify --book <that stream>` re-executes every step with the config the stream recorded (no
 * --book-config) and ends in the backtest's state hash; `replay hour` shows one tick's step; the
 * in-memory run of the same config prints the same fingerprint and state hash. A CSV row the gate
 * refuses stops an in-memory backtest with exit 65 naming file:line and the rule, and prints no
 * summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BTC_2023Q1_HOURLY } from './support/candles-csv.js';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { seedPgliteDir } from './support/pglite-template.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-backtest-replay-'));
const env = cleanEnv({ WARDEN_DATABASE_URL: `pglite:${join(dir, 'store.pglite')}`, WARDEN_LOG_LEVEL: 'warn' });
const config = (file: string) => ({
  book_id: 'bt', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': file } } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }], sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
});

interface Summary { fingerprint: string; state_hash: string; fills: number; ticks: number }

test('backtest --persist writes a stream that replay verify / hour re-execute with its recorded config', async () => {
  const cfg = join(dir, 'book.json');
  writeFileSync(cfg, JSON.stringify(config(BTC_2023Q1_HOURLY)));
  await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (./support/pglite-template.ts); migrate below
  assert.equal((await runCliAsync(['migrate'], env)).code, 0);
  const mem = await runCliAsync(['backtest', '--config', cfg, '--json'], env);
  assert.equal(mem.code, 0, mem.stderr);
  const inMemory = (JSON.parse(mem.stdout) as { summary: Summary }).summary;
  assert.ok(inMemory.fills > 0, 'the book trades');

  const p = await runCliAsync(['backtest', '--config', cfg, '--persist', '--json'], env);
  assert.equal(p.code, 0, p.stderr);
  const persisted = JSON.parse(p.stdout) as { summary: Summary; persisted: { stream: string; status: string; events: number } };
  assert.equal(persisted.summary.state_hash, inMemory.state_hash, 'the CSV read in memory and the ingested candles read from the store: one run');
  assert.equal(persisted.summary.fingerprint, inMemory.fingerprint);
  const stream = persisted.persisted.stream;
  assert.match(stream, /^backtest:bt:[0-9a-f]{16}$/);
  assert.equal(persisted.persisted.status, 'persisted');

  const again = await runCliAsync(['backtest', '--config', cfg, '--persist', '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual((JSON.parse(again.stdout) as { persisted: { stream: string; status: string } }).persisted, { ...persisted.persisted, status: 'already_persisted', appended: 0 } as never);

  const v = await runCliAsync(['replay', 'verify', '--book', stream, '--json'], env);
  assert.equal(v.code, 0, v.stderr);
  const r = (JSON.parse(v.stdout) as { streams: { stream: string; kernel: string; state_hash: string; events: number; reexecuted: { steps: number; steps_checked: number } }[] }).streams[0]!;
  assert.equal(r.stream, stream);
  assert.equal(r.kernel, 'trading', 'the config recorded in book.started, no --book-config');
  assert.equal(r.events, persisted.persisted.events);
  assert.equal(r.reexecuted.steps_checked, r.reexecuted.steps);
  assert.equal(r.reexecuted.steps, inMemory.ticks + 2, 'runtime.start, one step per tick, runtime.stop');
  assert.equal(r.state_hash, inMemory.state_hash, 're-execution ends in the backtest\'s state');

  // What replay verify reads, traced in its process (test/support/event-reads-trace.ts): the
  // recorded config's book.started once to choose the kernel, then ONE pass reading each event once.
  const trace = join(dir, 'event-reads.txt');
  const traced = await runCliAsync(['replay', 'verify', '--book', stream, '--json'], {
    ...env, NODE_OPTIONS: `--import=${new URL('./support/event-reads-trace.js', import.meta.url).href}`, EVENT_READS_TRACE: trace,
  });
  assert.equal(traced.code, 0, traced.stderr);
  const reads = readFileSync(trace, 'utf8').trimEnd().split('\n').map((line) => line.split(' '));
  assert.ok(reads.every(([s]) => s === stream), 'only the verified stream is read');
  const [configSeq, ...pass] = reads.map(([, seq]) => Number(seq));
  assert.deepEqual(pass, Array.from({ length: r.events }, (_, i) => i + 1), 'the pass reads every event once, in order');
  assert.ok(configSeq! >= 1 && configSeq! <= 10, `the config read is book.started at the stream's start (seq ${configSeq})`);

  const h = await runCliAsync(['replay', 'hour', '2023-02-01T12:00:00Z', '--book', stream], env);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /market\.tick at 2023-02-01T12:00:00\.000Z: BTC\/USD o /);
  assert.match(h.stdout, /re-executed identically/);
});

test('a CSV row the gate refuses stops the backtest: exit 65 naming file:line and the rule, no summary', async () => {
  const rows = readFileSync(BTC_2023Q1_HOURLY, 'utf8').trimEnd().split('\n');
  const f = rows[100]!.split(',');
  f[3] = String(Number(f[2]) + 1000); // low above high
  rows[100] = f.join(',');
  const csv = join(dir, 'XBTUSD_60.csv');
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const cfg = join(dir, 'bad.json');
  writeFileSync(cfg, JSON.stringify(config(csv)));
  const r = await runCliAsync(['backtest', '--config', cfg, '--json'], env);
  assert.equal(r.code, 65, r.stderr);
  assert.match(r.stderr, new RegExp(`${csv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:101: \\[\\w+\\]`));
  assert.equal(r.stdout, '');
});
