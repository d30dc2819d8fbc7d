/**
 * Cross-engine: one book's stream is made on PGlite and on PostgreSQL the way the runtime makes
 * it, each from what its own engine returns: Kraken's Q1-2023 BTC/USD hourly file ingested, the
 * candles read back from the store drive the ticks, operator commands (pause, resume, an unknown
 * one, flatten) go through the store's inbox and are read back from it, a stop and a restart,
 * periodic snapshots. Then everything each engine returns is compared across the two: the candles
 * read back, the inbox rows, every event row (body, links, hash), the snapshots, and the results
 * of the replay verbs run against each store (rebuild state hash and chain head, re-execution from
 * the stored inputs, the manifest's hours and Merkle root). The inbox rows get the same receipt
 * times on both (writeBook's receivedAt), so equal inputs must give equal streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bookKernel, resolveBook } from '../src/core/book/index.js';
import { canonicalJson } from '../src/core/canonical/index.js';
import { toHex } from '../src/core/canonical/hash.js';
import { ingestFile } from '../src/ingest/ingest.js';
import { CandleStore } from '../src/store/candle-store.js';
import { EventStore } from '../src/store/event-store.js';
import type { Db, Engine } from '../src/store/db.js';
import { buildManifest, type HourEntry } from '../src/replay/hours.js';
import { storeInputs } from '../src/replay/inputs.js';
import { reexecute } from '../src/replay/reexecute.js';
import { commandValue } from '../src/replay/steps.js';
import { replayVerify } from '../src/replay/verify.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from './support/candles-csv.js';
import { runtimeStart, smaBookConfig, tickCommands, writeBook, type Script, type TickCommand } from './support/book-driver.js';
import { describeEngines } from './support/engines.js';

const STREAM = 'book:xe';
const book = resolveBook(smaBookConfig('xe'));
const TICKS = 320;
const FILE_ROWS = readFileSync(BTC_2023Q1_HOURLY, 'utf8').trim().split('\n').length;
/** The n-th inbox command was received n minutes after this (the same on both engines). */
const receivedAt = (n: number): string => new Date(Date.UTC(2026, 0, 1, 12, n, 0, 123)).toISOString();

function script(ticks: readonly TickCommand[]): Script[] {
  return [
    runtimeStart('xe', Date.UTC(2026, 0, 1), 1),
    ...ticks.slice(0, 100),
    { kind: 'inbox', command: 'book.pause', payload: { reason: 'cross-engine pause' } },
    ...ticks.slice(100, 110),
    { kind: 'inbox', command: 'book.resume', payload: { reason: 'cross-engine resume' } },
    { kind: 'inbox', command: 'book.nonsense', payload: null },
    ...ticks.slice(110, 200),
    { kind: 'inbox', command: 'book.flatten', payload: { reason: 'cross-engine flatten' } },
    { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 2), reason: 'SIGTERM' },
    runtimeStart('xe', Date.UTC(2026, 0, 3), 2),
    ...ticks.slice(200),
  ];
}

/** What one engine returned, as text to compare. */
interface Returned {
  candles: string[];
  inbox: string[];
  events: string[];
  snapshots: string[];
  latest_snapshot_state: string;
  rebuild: { head_seq: number; chain_head: string; state_hash: string | null; snapshots_checked: number };
  reexecuted: { steps: number; steps_checked: number; chain_head: string; state_hash: string };
  manifest: { root: string; hours: HourEntry[] };
}
const returned = new Map<Engine, Returned>();

async function makeAndRead(db: Db): Promise<Returned> {
  assert.equal((await ingestFile(db, BTC_2023Q1_HOURLY)).status, 'accepted');
  const candles = await new CandleStore(db).loadCandles('BTC/USD', 3600, 0, Number.MAX_SAFE_INTEGER);
  assert.equal(candles.length, FILE_ROWS, 'every row of the file is read back as a candle');
  const store = new EventStore(db);
  const kernel = bookKernel(book);
  const steps = script(tickCommands(book, candles.slice(0, TICKS)));
  const written = await writeBook(store, STREAM, kernel, steps, 300, receivedAt);
  const types = new Set(written.events.map((e) => e.type));
  for (const t of ['fill.executed', 'operator.command_applied', 'operator.command_rejected']) assert.ok(types.has(t), `the stream has ${t}`);

  const events: string[] = [];
  for await (const batch of store.read(STREAM, { batchSize: 97 })) {
    for (const e of batch) events.push(`${e.seq} ${e.type} ${e.time_ms} ${toHex(e.body)} ${toHex(e.prev_hash)} ${toHex(e.hash)}`);
  }
  const snaps = await store.snapshots(STREAM);
  assert.ok(snaps.length >= 3, `${snaps.length} snapshots`);
  const latest = (await store.latestSnapshot(STREAM))!;
  const v = await replayVerify(store, STREAM, undefined, { name: 'trading', kernel });
  const rx = await reexecute(store, STREAM, kernel, 'trading', storeInputs(db));
  const hours: HourEntry[] = [];
  const m = await buildManifest(store, STREAM, kernel, 'trading', storeInputs(db), { onHour: (h) => void hours.push(h) });

  // Within the engine: the fold, the re-execution and the in-process run agree.
  const stateHash = kernel.stateHash(written.state);
  assert.equal(v.state_hash, stateHash);
  assert.equal(rx.state_hash, stateHash);
  assert.equal(m.state_hash, stateHash);
  assert.equal(rx.steps, steps.length);
  assert.equal(rx.steps_checked, rx.steps);
  assert.equal(v.head_seq, written.seq);
  assert.equal(events.length, written.seq);

  return {
    candles: candles.map((c) => canonicalJson(commandValue({ kind: 'market.tick', time_ms: 0, candles: [c] }))),
    inbox: (await store.inboxRead(STREAM, 0, 100)).map((r) => canonicalJson({ ...r, body_hash: toHex(r.body_hash) })),
    events,
    snapshots: snaps.map((s) => `${s.seq} ${s.kind} ${toHex(s.state_hash)} ${toHex(s.head_hash)} ${toHex(s.state_bytes)}`),
    latest_snapshot_state: toHex(latest.state_bytes),
    rebuild: { head_seq: v.head_seq, chain_head: v.chain_head, state_hash: v.state_hash, snapshots_checked: v.snapshots_checked },
    reexecuted: { steps: rx.steps, steps_checked: rx.steps_checked, chain_head: rx.chain_head, state_hash: rx.state_hash },
    manifest: { root: m.root, hours },
  };
}

describeEngines('cross-engine: one book stream made from what the engine returns', (ctx) => {
  test('ingest, trade with inbox commands, snapshot, replay verify, re-execute, manifest', async () => {
    returned.set(ctx.engine, await makeAndRead(await ctx.freshDb()));
  });
});

test('both engines return the same candles, inbox, events, snapshots, state hashes and manifest root', () => {
  const a = returned.get('pglite');
  const b = returned.get('postgres');
  assert.ok(a && b, 'both engines made the stream');
  // The candles each engine returns are the file's values (and so equal to each other).
  const file = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).map((c) => canonicalJson(commandValue({ kind: 'market.tick', time_ms: 0, candles: [c] })));
  assert.deepEqual(a.candles, file, 'PGlite candles read back are the file\'s');
  assert.deepEqual(b.candles, a.candles, 'candles read back');
  assert.equal(a.inbox.length, 4);
  assert.deepEqual(b.inbox, a.inbox, 'inbox rows read back');
  assert.deepEqual(b.events, a.events, 'event rows read back');
  assert.deepEqual(b.snapshots, a.snapshots, 'snapshots read back');
  assert.equal(b.latest_snapshot_state, a.latest_snapshot_state);
  assert.deepEqual(b.rebuild, a.rebuild, 'replay verify');
  assert.deepEqual(b.reexecuted, a.reexecuted, 're-execution');
  assert.ok(a.manifest.hours.length > TICKS / 2);
  assert.deepEqual(b.manifest.hours, a.manifest.hours, 'manifest hours');
  assert.equal(b.manifest.root, a.manifest.root, 'manifest Merkle root');
});
