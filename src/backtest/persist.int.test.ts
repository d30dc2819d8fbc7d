/**
 * `--persist` (src/backtest/persist.ts through executeBacktest) on both engines: a two-symbol,
 * two-skill run over the bundled Kraken data (2022 H1, cut into CSV files the service ingests
 * through the gate first; more than one append of APPEND_EVENTS_MAX) is stored as it is made,
 * read back, verified and re-folded to the SAME fingerprint and state hash as in memory; the
 * stored bytes equal the chain computed in memory. Persisting again appends nothing; an
 * interrupted persist (the stream holds a prefix of whole steps) is resumed; a stream under the
 * run's name holding something else (other events, or a prefix ending inside a step), or leased
 * by another writer, is refused and nothing is written.
 */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEngines } from '../../test/support/engines.js';
import { loadKrakenCsv } from '../../test/support/candles-csv.js';
import { BUNDLED_DATA_DIR } from '../../test/support/market-data.js';
import { backtest } from '../../test/support/book.js';
import { bytesEqual } from '../core/canonical/hash.js';
import { resolveBook, type BookConfigInput } from '../core/book/index.js';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../core/events/index.js';
import type { Db } from '../store/db.js';
import { APPEND_EVENTS_MAX, EventStore } from '../store/event-store.js';
import { ingestFile } from '../ingest/ingest.js';
import { runStreamName } from './persist.js';
import { executeBacktest, type BacktestOutcome, type BacktestRequest } from './service.js';

const FROM_S = Date.UTC(2022, 0, 1) / 1000;
const TO_S = Date.UTC(2022, 6, 1) / 1000;
const dir = mkdtempSync(join(tmpdir(), 'warden-persist-'));
/** The bundled file's rows with open time in [2022-01-01, 2022-07-01), byte for byte, under the same name. */
function cut(name: string): string {
  const rows = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', name), 'utf8').split('\n').filter((l) => {
    const t = Number(l.split(',')[0]);
    return l.trim() !== '' && t >= FROM_S && t < TO_S;
  });
  const file = join(dir, name);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}
const files = { 'BTC/USD': cut('XBTUSD_60.csv'), 'ETH/USD': cut('ETHUSD_60.csv') };
const config: BookConfigInput = {
  book_id: 'persist-int', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: { 'BTC/USD': 'XBTUSD_60.csv', 'ETH/USD': 'ETHUSD_60.csv' } } },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }],
  sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
};
const configFile = join(dir, 'book.json');
writeFileSync(configFile, JSON.stringify(config));
const book = resolveBook(config);
const request = (persist: boolean, onProgress?: BacktestRequest['onProgress']): BacktestRequest => ({ configFile, book, from_ms: null, to_ms: null, persist, report: null, onProgress });

/** The run in memory: from the CSV files (no store), and its events collected from the same candles. */
let memory: { outcome: BacktestOutcome; events: NewEvent[] };
before(async () => {
  const outcome = await executeBacktest(request(false), null);
  const candles = [...loadKrakenCsv(files['BTC/USD'], 'BTC/USD', 3600), ...loadKrakenCsv(files['ETH/USD'], 'ETH/USD', 3600)];
  const { events, summary } = await backtest(book, candles);
  assert.deepEqual(summary, outcome.summary, 'the CSV reader and the independent loader read the same candles');
  memory = { outcome, events };
});

/** What the service does before it names the stream: the files through the gate into the store. */
async function ingested(db: Db): Promise<string> {
  for (const f of Object.values(files)) assert.equal((await ingestFile(db, f)).status, 'accepted');
  return runStreamName(db, book, null, null);
}
/** Where step i (0-based) of the run begins: the index of its step.started event. */
function stepStart(events: readonly NewEvent[], atLeast: number): number {
  return events.findIndex((e, i) => i >= atLeast && e.type === 'step.started');
}

describeEngines('backtest --persist', (ctx) => {
  it('stores the run in batches, reads it back and re-folds to the same fingerprint and state hash; a second persist appends nothing', async () => {
    const { outcome: mem, events } = memory;
    assert.ok(events.length > APPEND_EVENTS_MAX, `the run needs more than one append (${events.length} events)`);
    assert.ok(mem.summary.fills > 10);
    const db = await ctx.freshDb();
    const phases = new Set<string>();
    const o = await executeBacktest(request(true, (phase) => phases.add(phase)), db);
    const p = o.persisted!;
    assert.equal(p.status, 'persisted');
    assert.equal(p.events, events.length);
    assert.equal(p.appended, events.length);
    assert.equal(p.fingerprint, mem.summary.fingerprint);
    assert.equal(p.state_hash, mem.summary.state_hash);
    assert.deepEqual(o.summary, mem.summary, 'the run from the store = the run from the files');
    assert.equal(p.stream, await runStreamName(db, book, null, null));
    assert.match(p.stream, /^backtest:persist-int:[0-9a-f]{16}$/);
    assert.deepEqual([...phases].sort(), ['append', 'run', 'verify']);
    const store = new EventStore(db);
    const expected = chainEvents(p.stream, 0, GENESIS_PREV_HASH, events);
    let i = 0;
    for await (const batch of store.read(p.stream, { batchSize: 7000 })) {
      for (const e of batch) assert.ok(bytesEqual(e.body, expected[i++]!.body), `seq ${e.seq}: stored bytes differ from the in-memory chain`);
    }
    assert.equal(i, events.length);
    const again = (await executeBacktest(request(true), db)).persisted!;
    assert.equal(again.status, 'already_persisted');
    assert.equal(again.appended, 0);
    assert.equal(again.head_hash, p.head_hash);
    assert.equal(again.stream, p.stream);
    assert.equal((await store.head(p.stream))?.seq, events.length);
    const s = (await store.streams()).find((x) => x.stream === p.stream);
    assert.equal(s?.lease_live, false, 'the lease is released after the persist');
  });

  it('resumes an interrupted persist from the stored prefix of whole steps', async () => {
    const { outcome: mem, events } = memory;
    const db = await ctx.freshDb();
    const stream = await ingested(db);
    const store = new EventStore(db);
    const n = stepStart(events, 3000); // the run's first steps, whole: what a persist killed after its first append leaves
    const lease = await store.acquireLease(stream, 'crashed-writer', 5000);
    await store.append(lease, 0, events.slice(0, n));
    await store.releaseLease(lease);
    const p = (await executeBacktest(request(true), db)).persisted!;
    assert.equal(p.stream, stream);
    assert.equal(p.status, 'resumed');
    assert.equal(p.appended, events.length - n);
    assert.equal(p.fingerprint, mem.summary.fingerprint);
    assert.equal(p.state_hash, mem.summary.state_hash);
    assert.equal((await store.head(stream))?.seq, events.length);
  });

  it('refuses a stream of that name holding other events, a prefix ending inside a step, or leased by another writer, and writes nothing', async () => {
    const { events } = memory;
    const refused = async (db: Db, exit: number, re: RegExp) =>
      assert.rejects(executeBacktest(request(true), db), (e: Error & { exitCode?: number }) => {
        assert.equal(e.exitCode, exit, e.message);
        assert.match(e.message, re);
        return true;
      });
    const db = await ctx.freshDb();
    const stream = await ingested(db);
    const store = new EventStore(db);
    const lease = await store.acquireLease(stream, 'someone-else', 60_000);
    await store.append(lease, 0, [events[1]!, events[0]!]);
    await store.releaseLease(lease);
    await refused(db, 65, /holds 2 events that are not this run's first 2/);
    assert.equal((await store.head(stream))?.seq, 2);
    // (another schema each: on PGlite the test instance serves one schema at a time)
    const db2 = await ctx.freshDb();
    const stream2 = await ingested(db2);
    const store2 = new EventStore(db2);
    const inside = stepStart(events, 3000) + 1; // one event into a step
    const l2 = await store2.acquireLease(stream2, 'crashed-writer', 5000);
    await store2.append(l2, 0, events.slice(0, inside));
    await store2.releaseLease(l2);
    await refused(db2, 65, /end inside a step of this run/);
    assert.equal((await store2.head(stream2))?.seq, inside);
    const db3 = await ctx.freshDb();
    const stream3 = await ingested(db3);
    const store3 = new EventStore(db3);
    const held = await store3.acquireLease(stream3, 'someone-else', 60_000);
    await refused(db3, 75, /leased to someone-else/);
    assert.equal((await store3.head(stream3))?.seq ?? 0, 0);
    await store3.releaseLease(held);
  });
});
