/**
 * Store benchmark (printed figures, not a test). The rows: the first EVENTS events of the reference
 * book's backtest on the bundled real BTC/USD hourly file (every type a book writes, in the
 * proportions a book writes them: bars, ticks and marks, signals, governance, orders, fills, lots).
 * For each engine, in the same run, on the same rows:
 *   - append: EventStore.append in batches of 1,000 of the kernel's typed events, as the runtime
 *     and `backtest --persist` hand them over (appendableEvent: each payload's canonical JSON by
 *     the direct writers; canonical envelope + hash chain + lease, owner and head check + insert +
 *     head move, all or nothing; the policy bodies the runtime stores beside their events are left
 *     out of both sides), vs the floor: a raw batched
 *     INSERT (one unnest statement per 1,000 rows, autocommit) of the same rows, already encoded
 *     and chained before the clock starts, into a plain table with the same columns (no checks,
 *     no triggers, no stream row). The ratio is the whole cost of Warden's append over writing
 *     the bytes. Both go through the same Db. A second floor writes the same rows the way the
 *     append sends them (one bytea of the chained batch + offsets, cut by the database: ~1.6x
 *     faster than the unnest of bytea arrays on PostgreSQL, the same on PGlite); its ratio is
 *     Warden's own work (encoding, chain, checks, compare-and-swap) over the same transport.
 *     Interleaved batch by batch (the order rotates), so load from elsewhere on the machine
 *     falls on all three.
 *   - read + verify: EventStore.verify (read in batches, recompute every hash from the stored
 *     bytes, check seqs, links, columns against the bytes, and the head), vs the floor: a raw
 *     keyset SELECT of the same rows' columns (seq, type, time_ms, body, prev_hash, hash) with the
 *     same batches, bytea transport and read-ahead (next batch requested before this one is
 *     processed), and a sha256 of each body (in its cheapest form, a 'binary' string: no Buffer
 *     per row). Verify reads each event as ONE value, tag || prev_hash || body || hash made by the
 *     database (hashedColumn), so a second floor reads the rows that way too and hashes each
 *     body's view: its ratio is verify's own checks over the same transport. All
 *     tables are ANALYZEd first. By blocks of 10 batches (verify with a range from the block's
 *     first hash; the last block also checks the head), each block's time the best of 5 runs,
 *     the two sides alternating.
 * Usage: npm run bench:store [-- EVENTS [ENGINES]]   (default 100000 and pglite,postgres; PostgreSQL
 * at TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test; PGlite in a temporary directory).
 */
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chainBatch, chainEvents, GENESIS_PREV_HASH, type ChainedBatch } from '../src/core/events/index.js';
import { appendableEvent, encodeEvent, resolveBook, type BookConfigInput, type BookEvent } from '../src/core/book/index.js';
import { runBacktest } from '../src/backtest/run.js';
import { csvReader } from '../src/backtest/csv.js';
import type { Db } from '../src/store/db.js';
import { byteaColumn, bytesOf, EventStore, hashedColumn } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';

const N = Number(process.argv[2] ?? 100_000);
const ENGINES = (process.argv[3] ?? 'pglite,postgres').split(',');
const BATCH = 1000;
const READ_BLOCK = 10; // batches per read block
const READ_ROUNDS = 5;
const STREAM = 'book:bench';
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The first `n` events of the reference book's run on the real hourly BTC/USD file (stops reading once it has them). */
async function referenceEvents(n: number): Promise<BookEvent[]> {
  const files = { 'BTC/USD': resolve('data/kraken/XBTUSD_60.csv') };
  const raw = JSON.parse(readFileSync(resolve('config/reference.book.json'), 'utf8')) as BookConfigInput;
  const book = resolveBook({ ...raw, data: { symbols: ['BTC/USD'], timeframe_s: 3600, source: { kind: 'kraken_ohlcvt_csv', paths: files } } });
  const out: BookEvent[] = [];
  const full = new Error('enough events');
  try {
    await runBacktest(book, csvReader(files, resolve('config/reference.book.json'), 3600, null, null), {
      write(step: readonly BookEvent[]) {
        for (const e of step) if (out.length < n) out.push(e);
        if (out.length >= n) throw full;
      },
    });
  } catch (e) {
    if (e !== full) throw e;
  }
  if (out.length < n) throw new Error(`the reference run has ${out.length} events, fewer than the ${n} asked for`);
  return out;
}
const events = await referenceEvents(N);

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function run(db: Db): Promise<Record<string, number>> {
  await migrate(db);
  const store = new EventStore(db);
  const lease = await store.acquireLease(STREAM, 'bench', 3_600_000);

  // The floor's rows: the very rows EventStore.append writes (same stream, seqs, bytes, hashes),
  // encoded and chained before any clock starts; they go to a table of their own.
  const rows = chainEvents(STREAM, 0, GENESIS_PREV_HASH, events.map(encodeEvent));
  await db.exec(`CREATE TABLE raw_events (
    stream text NOT NULL, seq bigint NOT NULL, type text NOT NULL, time_ms bigint NOT NULL, body bytea NOT NULL,
    prev_hash bytea NOT NULL, hash bytea NOT NULL, writer_epoch bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, seq))`);
  const ours = (i: number) => store.append(lease, i, events.slice(i, i + BATCH).map(appendableEvent));
  // the second floor's batches: the same rows as the append lays them out, chained before the clock
  const laidOut: ChainedBatch[] = [];
  for (let i = 0, prev = GENESIS_PREV_HASH; i < N; i += BATCH) {
    const b = chainBatch(STREAM, i, prev, events.slice(i, i + BATCH).map(encodeEvent));
    laidOut.push(b);
    prev = b.events[b.events.length - 1]!.hash;
  }
  await db.exec('CREATE TABLE raw_events_blob (LIKE raw_events INCLUDING ALL)');
  const rawBlob = (i: number) => {
    const b = laidOut[i / BATCH]!;
    return db.query(
      `INSERT INTO raw_events_blob (stream, seq, type, time_ms, body, prev_hash, hash, writer_epoch)
       SELECT $1, u.seq, u.type, u.time_ms, substring($5::bytea FROM u.body_at + 1 FOR u.body_size), substring($5::bytea FROM u.body_at - 31 FOR 32),
              substring($5::bytea FROM u.hash_at + 1 FOR 32), $9
         FROM unnest($2::bigint[], $3::text[], $4::bigint[], $6::int[], $7::int[], $8::int[]) AS u(seq, type, time_ms, body_at, body_size, hash_at)`,
      [STREAM, b.events.map((e) => e.seq), b.events.map((e) => e.type), b.events.map((e) => e.time_ms), b.bytes, b.bodyAt, b.bodySize, b.hashAt, 1],
    );
  };
  const raw = (i: number) => {
    const s = rows.slice(i, i + BATCH);
    return db.query(
      `INSERT INTO raw_events (stream, seq, type, time_ms, body, prev_hash, hash, writer_epoch)
       SELECT $1, u.seq, u.type, u.time_ms, u.body, u.prev_hash, u.hash, $8
         FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[]) AS u(seq, type, time_ms, body, prev_hash, hash)`,
      [STREAM, s.map((e) => e.seq), s.map((e) => e.type), s.map((e) => e.time_ms), s.map((e) => e.body), s.map((e) => e.prev_hash), s.map((e) => e.hash), 1],
    );
  };
  // Interleaved batch by batch (the order rotates), so load from elsewhere on the machine falls
  // on all three alike. The hash at each read block's start is kept for the reads.
  const ms = { ours: 0, raw: 0, blob: 0 };
  const blockStartHash = new Map<number, Uint8Array>([[0, GENESIS_PREV_HASH]]);
  for (let i = 0; i < N; i += BATCH) {
    const appendOurs = async () => {
      const stored = await ours(i);
      const last = stored[stored.length - 1]!;
      if (last.seq % (BATCH * READ_BLOCK) === 0) blockStartHash.set(last.seq, last.hash);
    };
    const sides: [keyof typeof ms, () => Promise<unknown>][] = [['ours', appendOurs], ['raw', () => raw(i)], ['blob', () => rawBlob(i)]];
    const k = (i / BATCH) % sides.length;
    for (const [side, f] of [...sides.slice(k), ...sides.slice(0, k)]) {
      const t = performance.now();
      await f();
      ms[side] += performance.now() - t;
    }
  }

  // Statistics for both tables, so neither read is planned blind (unanalyzed, the raw keyset read
  // was planned as a bitmap scan of the whole tail + sort per batch: ~50x the server time).
  await db.exec('ANALYZE events; ANALYZE raw_events');
  const readSql = `SELECT seq, type, time_ms, ${['body', 'prev_hash', 'hash'].map((c) => byteaColumn(db.engine, c)).join(', ')}
    FROM raw_events WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`;
  // Reads go by blocks of READ_BLOCK batches (seq lo+1..hi): verify checks the block from the
  // hash at lo (the last block also checks the stream head), the floor reads the same seqs.
  const verifyBlock = async (lo: number, hi: number) => {
    const v = await store.verify(STREAM, undefined, BATCH, undefined, { from: { seq: lo, hash: blockStartHash.get(lo)! }, toSeq: hi < N ? hi : undefined });
    if (v.events !== hi - lo) throw new Error(`verified ${v.events} of ${hi - lo}`);
  };
  // the second read floor: the same rows as verify reads them (one value a row, tag || prev_hash ||
  // body || hash: hashedColumn) and a sha256 of each body, a view of it
  const rowSql = `SELECT seq, type, time_ms, ${hashedColumn(db.engine)} FROM raw_events WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`;
  const rawRowBlock = (lo: number, hi: number) => rawReadBlock(lo, hi, rowSql, (row) => {
    const b = bytesOf(row.hashed);
    hash('sha256', b.subarray(48, b.length - 32), 'binary');
  });
  const rawReadBlock = async (lo: number, hi: number, sql = readSql, each = (row: Record<string, unknown>) => {
    bytesOf(row.prev_hash);
    bytesOf(row.hash);
    hash('sha256', bytesOf(row.body), 'binary'); // the cheapest digest form (no Buffer per row)
  }) => {
    let read = 0;
    const fetch = (from: number) => db.query<Record<string, unknown>>(sql, [STREAM, from, hi, BATCH]);
    let pending: Promise<Record<string, unknown>[]> | undefined = fetch(lo + 1);
    while (pending) {
      const r: Record<string, unknown>[] = await pending;
      const next = r.length === BATCH ? Number(r[r.length - 1]!.seq) + 1 : hi + 1;
      pending = next <= hi ? fetch(next) : undefined;
      for (const row of r) each(row);
      read += r.length;
    }
    if (read !== hi - lo) throw new Error(`raw read ${read} of ${hi - lo}`);
  };
  // Each block's time is its best of READ_ROUNDS (which goes first alternates): the least
  // disturbed run of each side, block by block.
  const blocks: number[] = [];
  for (let lo = 0; lo < N; lo += BATCH * READ_BLOCK) blocks.push(lo);
  const best = { ours: blocks.map(() => Infinity), raw: blocks.map(() => Infinity), row: blocks.map(() => Infinity) };
  const reads: [keyof typeof best, (lo: number, hi: number) => Promise<void>][] = [['ours', verifyBlock], ['raw', (lo, hi) => rawReadBlock(lo, hi)], ['row', rawRowBlock]];
  for (let round = 0; round < READ_ROUNDS; round++) {
    for (let k = 0; k < blocks.length; k++) {
      const lo = blocks[k]!;
      const hi = Math.min(N, lo + BATCH * READ_BLOCK);
      const first = (round + k) % reads.length;
      for (const [side, read] of [...reads.slice(first), ...reads.slice(0, first)]) {
        const t = performance.now();
        await read(lo, hi);
        best[side][k] = Math.min(best[side][k]!, performance.now() - t);
      }
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const verifyMs = sum(best.ours);
  const rawReadMs = sum(best.raw);
  const rawRowMs = sum(best.row);
  return {
    append_events_per_s: rate(N, ms.ours),
    raw_insert_rows_per_s: rate(N, ms.raw),
    raw_blob_insert_rows_per_s: rate(N, ms.blob),
    read_verify_events_per_s: rate(N, verifyMs),
    raw_read_sha256_rows_per_s: rate(N, rawReadMs),
    raw_row_read_sha256_rows_per_s: rate(N, rawRowMs),
  };
}

const results: Record<string, Record<string, number>> = {};
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
try {
  if (ENGINES.includes('pglite')) {
    const pglite = await openPglite(join(dir, 'bench.pglite'), 'bench', 'bench');
    try {
      results.pglite = await run(pglite);
    } finally {
      await pglite.close();
    }
  }
  if (ENGINES.includes('postgres')) {
    const schema = `bench_${process.pid}`;
    const admin = await openPostgres(PG_URL, 'public');
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    const pg = await openPostgres(PG_URL, schema);
    try {
      results.postgres = await run(pg);
    } finally {
      await pg.close();
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`store benchmark: the first ${N} events of the reference backtest (real BTC/USD hourly), batches of ${BATCH}, node ${process.version}`);
console.log('engine    append ev/s   raw insert rows/s   ratio   raw blob insert rows/s   ratio   read+verify ev/s   raw read+sha256 rows/s   ratio   raw row read+sha256 rows/s   ratio');
for (const [engine, r] of Object.entries(results)) {
  const ratio = (a: number | undefined, b: number | undefined) => (a! / b!).toFixed(2).padStart(5);
  console.log(
    `${engine.padEnd(9)} ${String(r.append_events_per_s).padStart(11)}   ${String(r.raw_insert_rows_per_s).padStart(17)}   ${ratio(r.append_events_per_s, r.raw_insert_rows_per_s)}   ` +
      `${String(r.raw_blob_insert_rows_per_s).padStart(22)}   ${ratio(r.append_events_per_s, r.raw_blob_insert_rows_per_s)}   ` +
      `${String(r.read_verify_events_per_s).padStart(16)}   ${String(r.raw_read_sha256_rows_per_s).padStart(22)}   ${ratio(r.read_verify_events_per_s, r.raw_read_sha256_rows_per_s)}   ` +
      `${String(r.raw_row_read_sha256_rows_per_s).padStart(26)}   ${ratio(r.read_verify_events_per_s, r.raw_row_read_sha256_rows_per_s)}`,
  );
}
console.log(JSON.stringify({ bench: 'store', events: N, batch: BATCH, results }));
