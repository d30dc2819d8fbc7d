/**
 * `warden replay verify` on a trading book: the stream is made by the book kernel itself over real
 * Kraken candles (with snapshots along the way). Without a config it re-executes with the config
 * the book recorded in book.started (exit 0, the kernel's own state hash); with the same config
 * given, the same; with another config, exit 64 naming both config hashes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bookKernel, encodeEvent, resolveBook, ticksOf, type RuntimeCommand } from '../src/core/book/index.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { ingestFile } from '../src/ingest/ingest.js';
import { openDb } from '../src/store/open.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from './support/candles-csv.js';
import { cleanEnv, runCliAsync } from './support/cli.js';
import { seedPgliteDir } from './support/pglite-template.js';

const config = {
  book_id: 'tq', data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'store' } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }],
  sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
};

test('replay verify folds a trading book with its config, and refuses without it or with another', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replay-trading-'));
  await seedPgliteDir(join(dir, 'store.pglite')); // a new store without initdb's cost (./support/pglite-template.ts)
  const url = `pglite:${join(dir, 'store.pglite')}`;
  const book = resolveBook(config);
  const kernel = bookKernel(book);
  const candles = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 400);
  const commands: RuntimeCommand[] = [
    { kind: 'runtime.start', time_ms: Date.UTC(2026, 0, 1), book_id: 'tq', execution_plane: 'PAPER', owner: 'test', lease_epoch: 1 },
    ...ticksOf(book.symbols, book.interval_s, candles).map((t): RuntimeCommand => ({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles })),
    { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 2), reason: 'test' },
  ];
  const state = kernel.decider.initialState();
  let fills = 0;
  const db = await openDb(url, { command: 'replay trading test setup' });
  try {
    await migrate(db);
    // The recorded inputs re-execution reads back: the runtime trades the store's candles.
    assert.equal((await ingestFile(db, BTC_2023Q1_HOURLY)).status, 'accepted');
    const store = new EventStore(db);
    const lease = await store.acquireLease('book:tq', 'test', 600_000);
    let seq = 0;
    let nextSnapshot = 200;
    for (const c of commands) {
      const events = kernel.decider.step(c, state).map(encodeEvent); // in place
      fills += events.filter((e) => e.type === 'fill.executed').length;
      await store.append(lease, seq, events);
      seq += events.length;
      if (seq >= nextSnapshot) {
        await store.saveSnapshot(lease, seq, kernel.codec.encode(state), 'periodic:trading.v1');
        nextSnapshot += 200;
      }
    }
    await store.releaseLease(lease);
  } finally {
    await db.close();
  }
  assert.ok(fills > 0, 'the book traded, so the fold has something to get wrong');
  const cfgFile = join(dir, 'book.json');
  writeFileSync(cfgFile, JSON.stringify(config));
  const otherFile = join(dir, 'other.json');
  writeFileSync(otherFile, JSON.stringify({ ...config, skills: [{ ...config.skills[0], params: { fast: 10, slow: 31 } }] }));
  const env = cleanEnv({ WARDEN_DATABASE_URL: url, WARDEN_LOG_LEVEL: 'warn' });

  const bare = await runCliAsync(['replay', 'verify', '--json'], env);
  assert.equal(bare.code, 0, bare.stderr);
  const recorded = (JSON.parse(bare.stdout) as { streams: { kernel: string; state_hash: string; reexecuted: { steps_checked: number } }[] }).streams[0]!;
  assert.equal(recorded.kernel, 'trading', 'the config recorded in book.started');
  assert.equal(recorded.reexecuted.steps_checked, commands.length);
  assert.equal(recorded.state_hash, kernel.stateHash(state));

  const ok = await runCliAsync(['replay', 'verify', '--book', 'tq', '--book-config', cfgFile, '--json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  const r = (JSON.parse(ok.stdout) as { streams: { kernel: string; state_hash: string; snapshots_checked: number; reexecuted: { steps_checked: number } }[] }).streams[0]!;
  assert.equal(r.kernel, 'trading');
  assert.equal(r.reexecuted.steps_checked, commands.length, 'every step re-executed');
  assert.equal(r.state_hash, kernel.stateHash(state));
  assert.ok(r.snapshots_checked >= 2);

  const viaEnv = await runCliAsync(['replay', 'verify', '--json'], { ...env, WARDEN_BOOK_CONFIG: cfgFile });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);

  const wrong = await runCliAsync(['replay', 'verify', '--book-config', otherFile], env);
  assert.equal(wrong.code, 64, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`book:tq was started with config ${book.config_hash}, but the replaying book config is [0-9a-f]{64}`));
});
