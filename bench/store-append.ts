/**
 * Store benchmark (printed figures, not a test). For each engine, in the same run:
 *   - append: EventStore.append in batches of 1,000 (canonical encoding + hash chain + lease and
 *     head check + insert), vs a raw batched INSERT (unnest) of the same precomputed rows into a
 *     plain table with the same columns: the ratio is the cost of Warden's guarantees;
 *   - read + verify: EventStore.verify (read in batches, recompute every hash, check links), vs a
 *     raw batched SELECT of the same rows.
 * Usage: npm run bench:store [-- EVENTS]   (default 100000; PostgreSQL at TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/test; PGlite in a temporary directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../src/core/events/index.js';
import type { Db } from '../src/store/db.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';

const N = Number(process.argv[2] ?? 100_000);
const BATCH = 1000;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const events: NewEvent[] = Array.from({ length: N }, (_, i) => ({
  type: 'bar.closed',
  time_ms: 1_600_000_000_000 + i * 3_600_000,
  payload: { symbol: 'BTC/USD', open: '16542.4', high: '16560.1', low: '16530', close: `${16500 + (i % 100)}.5`, volume: '12.3456789', count: 321 },
}));

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function run(db: Db): Promise<Record<string, number>> {
  await migrate(db);
  const store = new EventStore(db);
  const lease = await store.acquireLease('book:bench', 'bench', 3_600_000);
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) await store.append(lease, i, events.slice(i, i + BATCH));
  const appendMs = performance.now() - t;

  // The same rows, precomputed, inserted raw into a plain table (no triggers, no checks).
  const rows = chainEvents('book:raw', 0, GENESIS_PREV_HASH, events);
  await db.exec(`CREATE TABLE raw_events (stream text, seq bigint, type text, time_ms bigint, body bytea, prev_hash bytea, hash bytea, writer_epoch bigint, PRIMARY KEY (stream, seq))`);
  const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const s = rows.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO raw_events SELECT 'book:raw', u.* , 1 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[], $5::bytea[], $6::bytea[]) AS u`,
      [s.map((e) => e.seq), s.map((e) => e.type), s.map((e) => e.time_ms), s.map((e) => b(e.body)), s.map((e) => b(e.prev_hash)), s.map((e) => b(e.hash))],
    );
  }
  const rawInsertMs = performance.now() - t;

  t = performance.now();
  const v = await store.verify('book:bench', undefined, BATCH);
  const verifyMs = performance.now() - t;
  if (v.events !== N) throw new Error(`verified ${v.events} of ${N}`);

  t = performance.now();
  let read = 0;
  for (let from = 1; ; from += BATCH) {
    const r = await db.query('SELECT seq, type, time_ms, body, prev_hash, hash FROM raw_events WHERE stream = $1 AND seq >= $2 ORDER BY seq LIMIT $3', ['book:raw', from, BATCH]);
    read += r.length;
    if (r.length < BATCH) break;
  }
  const rawReadMs = performance.now() - t;
  if (read !== N) throw new Error(`raw read ${read} of ${N}`);
  return {
    append_events_per_s: rate(N, appendMs),
    raw_insert_rows_per_s: rate(N, rawInsertMs),
    read_verify_events_per_s: rate(N, verifyMs),
    raw_read_rows_per_s: rate(N, rawReadMs),
  };
}

const results: Record<string, Record<string, number>> = {};
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
try {
  const pglite = await openPglite(join(dir, 'bench.pglite'), 'bench', 'bench');
  try {
    results.pglite = await run(pglite);
  } finally {
    await pglite.close();
  }
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
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`store benchmark: ${N} events, batches of ${BATCH}, node ${process.version}`);
console.log('engine    append ev/s   raw insert rows/s   ratio   read+verify ev/s   raw read rows/s   ratio');
for (const [engine, r] of Object.entries(results)) {
  console.log(
    `${engine.padEnd(9)} ${String(r.append_events_per_s).padStart(11)}   ${String(r.raw_insert_rows_per_s).padStart(17)}   ${(r.append_events_per_s! / r.raw_insert_rows_per_s!).toFixed(2).padStart(5)}   ` +
      `${String(r.read_verify_events_per_s).padStart(16)}   ${String(r.raw_read_rows_per_s).padStart(15)}   ${(r.read_verify_events_per_s! / r.raw_read_rows_per_s!).toFixed(2).padStart(5)}`,
  );
}
console.log(JSON.stringify({ bench: 'store', events: N, batch: BATCH, results }));
