/**
 * `--persist` on both engines: a two-symbol, two-skill run over the bundled Kraken data (more
 * than one append of APPEND_EVENTS_MAX) is stored, read back, verified and re-folded to the SAME
 * fingerprint and state hash as in memory; the stored bytes equal the chain computed in memory.
 * Persisting again appends nothing; an interrupted persist (a prefix stored) is completed; a
 * stream under the run's name holding something else, or leased by another writer, is refused
 * and nothing is written.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeEngines } from '../../../test/support/engines.js';
import { loadKrakenCsv } from '../../../test/support/candles-csv.js';
import { BUNDLED_DATA_DIR } from '../../../test/support/market-data.js';
import { runBacktest, type BacktestResult } from '../../core/engine/index.js';
import { bytesEqual } from '../../core/canonical/hash.js';
import { chainEvents, GENESIS_PREV_HASH } from '../../core/events/index.js';
import { APPEND_EVENTS_MAX, EventStore } from '../../store/event-store.js';
import { persistRun, runStreamName } from './backtest-persist.js';

const FROM = Date.UTC(2022, 0, 1);
const TO = Date.UTC(2022, 6, 1);
const book = {
  book_id: 'persist-int', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }, { skill: 'rsi-reversion', symbols: ['ETH/USD'] }],
  sizing: { mode: 'pct_equity', pct: '25' }, initial_cash: '10000',
};
let run: BacktestResult | undefined;
function theRun(): BacktestResult {
  run ??= runBacktest(book, [
    ...loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'BTC/USD', 3600, { fromMs: FROM, toMs: TO }),
    ...loadKrakenCsv(join(BUNDLED_DATA_DIR, 'kraken', 'ETHUSD_60.csv'), 'ETH/USD', 3600, { fromMs: FROM, toMs: TO }),
  ]);
  return run;
}
const input = (r: BacktestResult) => ({ book_id: book.book_id, events: r.events, fingerprint: r.summary.fingerprint, state_hash: r.summary.state_hash });

describeEngines('backtest --persist', (ctx) => {
  it('stores the run in batches, reads it back and re-folds to the same fingerprint and state hash; a second persist appends nothing', async () => {
    const r = theRun();
    assert.ok(r.events.length > APPEND_EVENTS_MAX, `the run needs more than one append (${r.events.length} events)`);
    assert.ok(r.summary.fills > 10);
    const db = await ctx.freshDb();
    const phases = new Set<string>();
    const p = await persistRun(db, { ...input(r), onProgress: (phase) => phases.add(phase) });
    assert.equal(p.status, 'persisted');
    assert.equal(p.appended, r.events.length);
    assert.equal(p.fingerprint, r.summary.fingerprint);
    assert.equal(p.state_hash, r.summary.state_hash);
    assert.equal(p.stream, runStreamName(book.book_id, r.summary.fingerprint, r.summary.state_hash));
    assert.match(p.stream, /^backtest:persist-int:[0-9a-f]{16}$/);
    assert.deepEqual([...phases].sort(), ['append', 'fold', 'verify']);
    const store = new EventStore(db);
    const expected = chainEvents(p.stream, 0, GENESIS_PREV_HASH, r.events);
    let i = 0;
    for await (const batch of store.read(p.stream, { batchSize: 7000 })) {
      for (const e of batch) assert.ok(bytesEqual(e.body, expected[i++]!.body), `seq ${e.seq}: stored bytes differ from the in-memory chain`);
    }
    assert.equal(i, r.events.length);
    const again = await persistRun(db, input(r));
    assert.equal(again.status, 'already_persisted');
    assert.equal(again.appended, 0);
    assert.equal(again.head_hash, p.head_hash);
    assert.equal((await store.head(p.stream))?.seq, r.events.length);
    const s = (await store.streams()).find((x) => x.stream === p.stream);
    assert.equal(s?.lease_live, false, 'the lease is released after the persist');
  });

  it('completes an interrupted persist from the stored prefix', async () => {
    const r = theRun();
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const stream = runStreamName(book.book_id, r.summary.fingerprint, r.summary.state_hash);
    const lease = await store.acquireLease(stream, 'crashed-writer', 5000);
    await store.append(lease, 0, r.events.slice(0, 3000));
    await store.releaseLease(lease);
    const p = await persistRun(db, input(r));
    assert.equal(p.status, 'resumed');
    assert.equal(p.appended, r.events.length - 3000);
    assert.equal(p.state_hash, r.summary.state_hash);
  });

  it('refuses a stream of that name holding other events, or leased by another writer, and writes nothing', async () => {
    const r = theRun();
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const stream = runStreamName(book.book_id, r.summary.fingerprint, r.summary.state_hash);
    const lease = await store.acquireLease(stream, 'someone-else', 60_000);
    await store.append(lease, 0, [r.events[1]!, r.events[0]!]);
    await assert.rejects(persistRun(db, input(r)), (e: Error & { exitCode?: number }) => {
      assert.equal(e.exitCode, 65);
      assert.match(e.message, /holds 2 events that are not this run's first 2/);
      return true;
    });
    assert.equal((await store.head(stream))?.seq, 2);
    // (a second schema: on PGlite the test instance serves one schema at a time, so db is not used below)
    const db2 = await ctx.freshDb();
    const store2 = new EventStore(db2);
    const held = await store2.acquireLease(stream, 'someone-else', 60_000);
    await assert.rejects(persistRun(db2, input(r)), (e: Error & { exitCode?: number }) => e.exitCode === 75 && /leased to someone-else/.test(e.message));
    assert.equal((await store2.head(stream))?.seq, 0);
    await store2.releaseLease(held);
  });
});
