/**
 * Re-execute on both engines, over a trading book written the way the runtime writes it (real
 * Q1-2023 BTC/USD hourly candles in the store, operator pause / resume / flatten through the
 * inbox, a stop and a restart): the same kernel reproduces every stored event; a kernel with one
 * skill parameter patched (config hash kept, as a code change would) is stopped at exactly the
 * first event an independent in-memory run of the patched kernel disagrees on; an altered stored
 * candle (an input) is caught at its bar.closed event with the field that changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../core/canonical/index.js';
import { bookKernel, resolveBook } from '../core/book/index.js';
import { ingestFile } from '../ingest/ingest.js';
import { EventStore } from '../store/event-store.js';
import { describeEngines } from '../../test/support/engines.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { produce, runtimeStart, smaBookConfig, tickCommands, writeBook, type Script } from '../../test/support/book-driver.js';
import { withRollback } from '../../test/support/rollback.js';
import { storeInputs } from './inputs.js';
import { reexecute, ReplayDivergence } from './reexecute.js';

const CONFIG = smaBookConfig('rx');
const STREAM = 'book:rx';
const book = resolveBook(CONFIG);
const kernel = bookKernel(book);
const ticks = tickCommands(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 600));
const start = (time_ms: number, epoch: number) => runtimeStart('rx', time_ms, epoch);
const SCRIPT: Script[] = [
  start(Date.UTC(2026, 0, 1), 1),
  ...ticks.slice(0, 250),
  { kind: 'inbox', command: 'book.pause', payload: { reason: 'test pause' } },
  ...ticks.slice(250, 270),
  { kind: 'inbox', command: 'book.resume', payload: { reason: 'test resume' } },
  { kind: 'inbox', command: 'book.nonsense', payload: null },
  ...ticks.slice(270, 400),
  { kind: 'inbox', command: 'book.flatten', payload: { reason: 'test flatten' } },
  { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 2), reason: 'SIGTERM' },
  start(Date.UTC(2026, 0, 3), 2),
  ...ticks.slice(400),
];

describeEngines('re-execute', ({ freshDb }) => {
  test('the same kernel reproduces every event; a patched skill parameter and an altered candle are named precisely', async () => {
    const db = await freshDb();
    const report = await ingestFile(db, BTC_2023Q1_HOURLY);
    assert.equal(report.status, 'accepted');
    const store = new EventStore(db);
    const written = await writeBook(store, STREAM, kernel, SCRIPT, 500);
    assert.ok(written.events.some((e) => e.type === 'fill.executed'), 'the book traded');
    assert.ok(written.events.some((e) => e.type === 'operator.command_rejected'), 'the unknown command was rejected');

    // Identical: every step re-executed, the same state.
    const hours = new Set<number | null>();
    const r = await reexecute(store, STREAM, kernel, 'trading', storeInputs(db), { onStep: (s) => void hours.add(s.hour_ms) });
    assert.equal(r.head_seq, written.seq);
    assert.equal(r.steps, SCRIPT.length, 'one step per command, each cut where the runtime cut it');
    assert.equal(r.steps_checked, r.steps);
    assert.equal(r.state_hash, kernel.stateHash(written.state));
    assert.equal(hours.size, ticks.length + 1, 'one evaluation hour per hourly tick, plus "before the first tick"');

    // A patched skill parameter (as a code change: same config hash).
    const patchedBook = { ...resolveBook({ ...CONFIG, skills: [{ ...CONFIG.skills[0]!, params: { fast: 12, slow: 30 } }] }), config: book.config, config_json: book.config_json, config_hash: book.config_hash };
    const patched = bookKernel(patchedBook);
    const expected = produce(patched, written.commands);
    const i = written.events.findIndex((e, k) => expected[k] === undefined || canonicalJson(e) !== canonicalJson(expected[k]));
    assert.ok(i > 0, 'the patch changes some event, and not the first');
    await assert.rejects(reexecute(store, STREAM, patched, 'trading', storeInputs(db)), (e: unknown) => {
      assert.ok(e instanceof ReplayDivergence, String(e));
      assert.equal(e.seq, i + 1, `first divergence at seq ${i + 1}: ${e.message}`);
      assert.equal(e.type, written.events[i]!.type);
      assert.match(e.path, /^(payload\.|type$|time_ms$|\(event\)$)/);
      assert.notEqual(e.stored, e.recomputed);
      return true;
    });

    // An altered input: one stored candle's close changed (as a superuser, rolled back).
    const tick = ticks[300]!;
    const candle = tick.candles[0]!;
    const barSeq = written.events.findIndex((e) => e.type === 'bar.closed' && e.time_ms === tick.time_ms) + 1;
    await withRollback(db, async (view, tx) => {
      await tx.exec('ALTER TABLE candles DISABLE TRIGGER USER');
      await tx.query('UPDATE candles SET close = high WHERE symbol = $1 AND interval_s = 3600 AND open_time_ms = $2', ['BTC/USD', candle.open_time_ms]);
      assert.notEqual(candle.close.toString(), candle.high.toString());
      await assert.rejects(reexecute(new EventStore(view), STREAM, kernel, 'trading', storeInputs(view)), (e: unknown) => {
        assert.ok(e instanceof ReplayDivergence, String(e));
        assert.equal(e.seq, barSeq);
        assert.equal(e.type, 'bar.closed');
        assert.equal(e.path, 'payload.close');
        assert.equal(e.stored, JSON.stringify(candle.close.toString()));
        assert.equal(e.recomputed, JSON.stringify(candle.high.toString()));
        return true;
      });
    });

    // From a snapshot: the same result over the tail only.
    const snap = await store.latestSnapshot(STREAM);
    assert.ok(snap !== null);
    const tail = await reexecute(store, STREAM, kernel, 'trading', storeInputs(db), { from: { seq: snap.seq, hash: snap.head_hash, state: kernel.codec.decode(snap.state) } });
    assert.equal(tail.state_hash, r.state_hash);
    assert.equal(tail.events, written.seq - snap.seq);
  });

  test('a pass bounded by the head read before it is not disturbed by a runtime appending meanwhile', async () => {
    const db = await freshDb();
    const store = new EventStore(db);
    const minimalBookKernel = bookKernel(null);
    const written = await writeBook(store, 'book:live', minimalBookKernel, [
      { kind: 'runtime.start', time_ms: Date.UTC(2026, 0, 1), book_id: 'live', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: 1 },
      { kind: 'inbox', command: 'book.pause', payload: { reason: 'a' } },
      { kind: 'inbox', command: 'book.resume', payload: { reason: 'b' } },
    ]);
    const toSeq = written.seq;
    const lease = await store.acquireLease('book:live', 'test:live-runtime', 60_000);
    let appended = false;
    const r = await reexecute(store, 'book:live', minimalBookKernel, 'book', storeInputs(db), {
      toSeq,
      batchSize: 1,
      onStep: async () => {
        if (appended) return;
        appended = true; // the "runtime" commits a step while the pass is under way
        await store.append(lease, toSeq, [{ type: 'runtime.stopped', time_ms: Date.UTC(2026, 0, 2), payload: { reason: 'SIGTERM' } }]);
      },
    });
    assert.ok(appended);
    assert.equal(r.head_seq, toSeq);
    assert.equal(r.steps_checked, 3);
    assert.equal((await store.head('book:live'))?.seq, toSeq + 1);
  });

  test('a book without a market: a window finds its hour even after a later wall-clock hour in the log', async () => {
    const db = await freshDb();
    const store = new EventStore(db);
    const minimalBookKernel = bookKernel(null);
    const { replayWindow } = await import('./hours.js');
    const future = Date.UTC(2099, 0, 1, 5);
    await writeBook(store, 'book:clock', minimalBookKernel, [
      { kind: 'runtime.start', time_ms: Date.UTC(2026, 0, 1, 10, 50), book_id: 'clock', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: 1 },
      { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 1, 10, 52), reason: 'SIGTERM' },
      { kind: 'runtime.start', time_ms: future, book_id: 'clock', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: 2 },
      { kind: 'inbox', command: 'book.pause', payload: { reason: 'received before the clock jumped' } }, // received_at = the database's now
    ]);
    const [row] = await store.inboxRead('book:clock', 0, 1);
    const at = Date.parse(row!.received_at);
    const hour = at - (at % 3_600_000);
    const w = await replayWindow(store, 'book:clock', minimalBookKernel, 'book', storeInputs(db), hour, hour + 3_600_000, { collect: true });
    assert.deepEqual(w.window_steps.map((x) => x.command.kind), ['operator.command']);
    assert.equal(w.steps_checked, 1);
  });

  test('a candle backfilled later for an hour the book already ticked is not an input it saw: still identical', async () => {
    const db = await freshDb();
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { BUNDLED_DATA_DIR } = await import('../../test/support/market-data.js');
    const dir = mkdtempSync(join(tmpdir(), 'warden-backfill-'));
    const btc = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 200);
    const from = btc[0]!.open_time_ms / 1000;
    const to = btc[btc.length - 1]!.open_time_ms / 1000;
    const eth = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'ETHUSD_60.csv'), 'utf8').trimEnd().split('\n')
      .filter((l) => { const t = Number(l.split(',')[0]); return t >= from && t <= to; });
    const hole = eth.slice(100, 105); // five ETH hours missing when the book ran
    writeFileSync(join(dir, 'ETHUSD_60.csv'), `${[...eth.slice(0, 100), ...eth.slice(105)].join('\n')}\n`);
    assert.equal((await ingestFile(db, BTC_2023Q1_HOURLY)).status, 'accepted');
    assert.equal((await ingestFile(db, join(dir, 'ETHUSD_60.csv'))).status, 'accepted');
    const two = resolveBook({ ...CONFIG, book_id: 'bf', data: { ...CONFIG.data, symbols: ['BTC/USD', 'ETH/USD'] }, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD', 'ETH/USD'], params: { fast: 10, slow: 30 } }] });
    const k2 = bookKernel(two);
    const ethCandles = loadKrakenCsv(join(dir, 'ETHUSD_60.csv'), 'ETH/USD', 3600);
    const twoTicks = tickCommands(two, [...btc, ...ethCandles]);
    const store = new EventStore(db);
    await writeBook(store, 'book:bf', k2, [runtimeStart('bf', Date.UTC(2026, 0, 1), 1), ...twoTicks]);
    const before = await reexecute(store, 'book:bf', k2, 'trading', storeInputs(db));

    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'later'));
    const backfill = join(dir, 'later', 'ETHUSD_60.csv');
    writeFileSync(backfill, `${hole.join('\n')}\n`);
    const rep = await ingestFile(db, backfill);
    assert.equal(rep.status, 'accepted', JSON.stringify(rep));
    const after = await reexecute(store, 'book:bf', k2, 'trading', storeInputs(db));
    assert.equal(after.state_hash, before.state_hash);
    assert.equal(after.steps_checked, twoTicks.length + 1);
  });
});
