/**
 * Restart benchmark (printed figures, not a test): restart time must grow with the events since
 * the last snapshot, not with the length of the history (issue F6).
 *
 * For each size (10k and 100k events by default; 1M with `--1m`) and each engine (PGlite in a
 * temporary directory, PostgreSQL in a temporary schema), a book stream is written that the
 * book kernel without a market folds (book.opened + runtime.started, then operator.command_applied
 * pause/resume alternating), with a snapshot every SNAPSHOT_EVERY events saved from the same fold
 * the way the runner does (codec-encoded state, store.saveSnapshot), and TAIL events after the
 * last one. Then the store is closed and reopened (a restart), and again after EXTRA_TAIL more
 * events without a snapshot, and it prints:
 *   - open ms: opening the store (PGlite: the directory; PostgreSQL: a connection);
 *   - restore ms: restore() to a ready state (latest snapshot + the tail replayed, links checked);
 *   - verified ms: until `verified` resolves (the latest snapshot proved from its predecessor:
 *     SNAPSHOT_EVERY events folded, whatever the history), measured from the restore call;
 *   - replay verify ev/s (src/replay/verify.ts, the full proof from genesis: O(history)) next to
 *     a raw keyset read of the same rows' body bytes with a sha256 of each, in the same run.
 * Usage: npm run bench:restart [-- --1m]   (~25 s; with 1M ~2.5 min on the 2-core machine)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bookKernel, bookStateCodec, type BookState } from '../src/core/book/index.js';
import type { NewEvent } from '../src/core/events/index.js';
import { toBytes, type Db } from '../src/store/db.js';
import { APPEND_EVENTS_MAX, EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { restore } from '../src/runtime/restore.js';
import { replayVerify } from '../src/replay/verify.js';

const SIZES = process.argv.includes('--1m') ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
const SNAPSHOT_EVERY = 5_000;
const TAIL = 1_000;
/** Appended after the first restart: the second restart replays TAIL + EXTRA_TAIL events. */
const EXTRA_TAIL = 3_000;
const READ_BATCH = 2_000;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = 1_700_000_000_000;
/** A book without a market: the runtime without a book config. */
const minimalBookKernel = bookKernel(null);

/** Event i (0-based) of the stream: two opening events, then pause/resume answers to inbox ids. */
function eventAt(i: number, book: string): NewEvent {
  if (i === 0) return { type: 'book.opened', time_ms: T0, payload: { book_id: book, execution_plane: 'PAPER' } };
  if (i === 1) return { type: 'runtime.started', time_ms: T0, payload: { owner: 'bench:1', lease_epoch: 1, execution_plane: 'PAPER', after_crash: false } };
  const inbox = i - 1;
  const pause = inbox % 2 === 1;
  return {
    type: 'operator.command_applied',
    time_ms: T0 + i,
    payload: { inbox_id: inbox, command: pause ? 'book.pause' : 'book.resume', issued_by: 'bench', reason: '', status_before: pause ? 'ACTIVE' : 'PAUSED', status_after: pause ? 'PAUSED' : 'ACTIVE' },
  };
}

/**
 * Writes `total` events with a snapshot every SNAPSHOT_EVERY of them, placed so that exactly
 * TAIL events follow the last one; returns the last snapshot's seq.
 */
async function writeStream(store: EventStore, stream: string, book: string, total: number): Promise<number> {
  const lease = await store.acquireLease(stream, 'bench:1', 3_600_000);
  const lastSnap = total - TAIL;
  const offset = lastSnap % SNAPSHOT_EVERY;
  let state: BookState = minimalBookKernel.decider.initialState();
  let seq = 0;
  while (seq < total) {
    // Batches end on snapshot seqs, so the state there is the fold so far (as in the runner).
    const next = seq < offset ? offset : seq + SNAPSHOT_EVERY - ((seq - offset) % SNAPSHOT_EVERY);
    const n = Math.min(APPEND_EVENTS_MAX, total - seq, next <= lastSnap ? next - seq : total - seq);
    const batch = Array.from({ length: n }, (_, k) => eventAt(seq + k, book));
    await store.append(lease, seq, batch);
    for (const e of batch) state = minimalBookKernel.applyStored(state, e);
    seq += n;
    if (seq > 0 && seq <= lastSnap && (seq - offset) % SNAPSHOT_EVERY === 0) {
      await store.saveSnapshot(lease, seq, bookStateCodec.encode(state), 'periodic:book.v2');
    }
  }
  await store.releaseLease(lease);
  return lastSnap;
}

/**
 * Raw keyset read of the body bytes with a sha256 of each; the bytes travel as the store's reads
 * carry them (hex text on PGlite, native bytea on PostgreSQL), so only the checks differ.
 */
async function rawReadHash(db: Db, stream: string): Promise<number> {
  const body = db.engine === 'pglite' ? `encode(body, 'hex') AS body` : 'body';
  let n = 0;
  for (let from = 1; ; ) {
    const rows = await db.query<{ seq: unknown; body: unknown }>(
      `SELECT seq, ${body} FROM events WHERE stream = $1 AND seq >= $2 ORDER BY seq LIMIT $3`, [stream, from, READ_BATCH],
    );
    for (const r of rows) createHash('sha256').update(typeof r.body === 'string' ? Buffer.from(r.body, 'hex') : toBytes(r.body)).digest();
    n += rows.length;
    if (rows.length < READ_BATCH) return n;
    from = Number(rows[rows.length - 1]!.seq) + 1;
  }
}

interface Row {
  engine: string;
  events: number;
  snapshot_seq: number;
  since_snapshot: number;
  open_ms: number;
  restore_ms: number;
  verified_ms: number;
  events_folded: number;
  replay_verify_ms: number | null;
  replay_verify_ev_s: number | null;
  raw_read_sha256_ev_s: number | null;
}

const ms = (t: number) => Math.round(performance.now() - t);

/** Reopens the store (a restart) and times restore() and `verified`; the full proofs when asked. */
async function restart(engine: string, open: () => Promise<Db>, stream: string, lastSnap: number, full: boolean): Promise<Row> {
  let t = performance.now();
  const db = await open();
  const openMs = ms(t);
  try {
    const store = new EventStore(db);
    t = performance.now();
    const r = await restore(store, stream, minimalBookKernel);
    const restoreMs = ms(t);
    const v = await r.verified;
    const verifiedMs = ms(t);
    if (r.snapshot_seq !== lastSnap || r.events_replayed !== r.seq - lastSnap) throw new Error(`restore: ${JSON.stringify({ seq: r.seq, snap: r.snapshot_seq, replayed: r.events_replayed })}`);
    const row: Row = {
      engine, events: r.seq, snapshot_seq: lastSnap, since_snapshot: r.events_replayed, open_ms: openMs, restore_ms: restoreMs, verified_ms: verifiedMs,
      events_folded: v.events_folded, replay_verify_ms: null, replay_verify_ev_s: null, raw_read_sha256_ev_s: null,
    };
    if (!full) return row;
    t = performance.now();
    const rv = await replayVerify(store, stream, undefined, { name: 'book', kernel: minimalBookKernel });
    const rvMs = performance.now() - t;
    if (rv.state_hash !== r.state_hash) throw new Error('replay verify folded another state');
    t = performance.now();
    const read = await rawReadHash(db, stream);
    const rawMs = performance.now() - t;
    if (read !== r.seq) throw new Error(`raw read ${read} of ${r.seq}`);
    return { ...row, replay_verify_ms: Math.round(rvMs), replay_verify_ev_s: Math.round((r.seq / rvMs) * 1000), raw_read_sha256_ev_s: Math.round((r.seq / rawMs) * 1000) };
  } finally {
    await db.close();
  }
}

/** One stream of `total` events: a restart with TAIL events after the last snapshot, then with TAIL + EXTRA_TAIL. */
async function measure(engine: string, open: () => Promise<Db>, total: number): Promise<Row[]> {
  const stream = `book:b${total}`;
  const writer = await open();
  let lastSnap: number;
  try {
    lastSnap = await writeStream(new EventStore(writer), stream, `b${total}`, total);
    // A freshly bulk-loaded table makes its first full reader pay the hint-bit writes (measured:
    // replay verify at 1M events ran at a fifth of its speed on it); a store that has grown to
    // that size has long been vacuumed, so vacuum here, and the proofs compare on equal terms.
    await writer.exec('VACUUM ANALYZE events');
  } finally {
    await writer.close();
  }
  const first = await restart(engine, open, stream, lastSnap, false);
  const more = await open();
  try {
    const store = new EventStore(more);
    const lease = await store.acquireLease(stream, 'bench:1', 3_600_000);
    for (let seq = total; seq < total + EXTRA_TAIL; seq += APPEND_EVENTS_MAX) {
      const n = Math.min(APPEND_EVENTS_MAX, total + EXTRA_TAIL - seq);
      await store.append(lease, seq, Array.from({ length: n }, (_, k) => eventAt(seq + k, `b${total}`)));
    }
    await store.releaseLease(lease);
  } finally {
    await more.close();
  }
  return [first, await restart(engine, open, stream, lastSnap, true)];
}

const rows: Row[] = [];
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-restart-'));
const schema = `bench_restart_${process.pid}`;
const admin = await openPostgres(PG_URL, 'public');
try {
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  const pgDir = join(dir, 'store.pglite');
  const init = await openPglite(pgDir, 'warden', 'bench restart');
  await migrate(init);
  await init.close();
  const initPg = await openPostgres(PG_URL, schema);
  await migrate(initPg);
  await initPg.close();
  for (const total of SIZES) {
    for (const [engine, open] of [
      ['pglite', () => openPglite(pgDir, 'warden', 'bench restart')],
      ['postgres', () => openPostgres(PG_URL, schema)],
    ] as const) {
      rows.push(...(await measure(engine, open, total)));
      console.error(`  ${engine} ${total} events: done`);
    }
  }
} finally {
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
}

const cell = (v: number | null, w: number) => (v === null ? '-' : String(v)).padStart(w);
console.log(`restart benchmark: snapshot every ${SNAPSHOT_EVERY} events; restarts with ${TAIL} and ${TAIL + EXTRA_TAIL} events after the last one; node ${process.version}`);
console.log(`sizes: ${SIZES.join(', ')}${SIZES.length < 3 ? ' (1,000,000 with -- --1m)' : ''}`);
console.log('restore and verified depend on "since snap" and "folded" (the interval); replay verify (from genesis) on "events".');
console.log('engine      events  since snap  folded  open ms  restore ms  verified ms  replay verify ms  replay verify ev/s  raw read+sha256 ev/s');
for (const r of rows) {
  console.log(
    `${r.engine.padEnd(9)} ${cell(r.events, 8)}  ${cell(r.since_snapshot, 10)}  ${cell(r.events_folded, 6)}  ${cell(r.open_ms, 7)}  ${cell(r.restore_ms, 10)}  ${cell(r.verified_ms, 11)}  ` +
      `${cell(r.replay_verify_ms, 16)}  ${cell(r.replay_verify_ev_s, 18)}  ${cell(r.raw_read_sha256_ev_s, 20)}`,
  );
}
console.log(JSON.stringify({ bench: 'restart', snapshot_every: SNAPSHOT_EVERY, tails: [TAIL, TAIL + EXTRA_TAIL], rows }));
