/**
 * The directives read model's cost on a long book stream, printed (never asserted): `warden
 * directives list` folds only the governance events (EventStore.readTypes pages), next to a floor
 * measured in the same run on the same rows: reading the whole stream (EventStore.read, what a
 * reader without the type filter would do). The stream: EVENTS events, one in GOV_EVERY a
 * governance event (a directive proposed, then evaluated), the rest trading noise; batches of 1,000.
 * The type filter walks the stream's primary key (no index on type: an index per event would tax
 * every append), so the read model's cost grows with the stream, not with the directives.
 * Run: node dist/bench/directives-read.js [EVENTS] [pglite|postgres|both]   (PostgreSQL: TEST_DATABASE_URL
 * or postgres://postgres@127.0.0.1:5432/test)
 */
import type { NewEvent } from '../src/core/events/index.js';
import type { Db } from '../src/store/db.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { wrapPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { StoreOperator } from '../src/governance/operator.js';

const EVENTS = Number(process.argv[2] ?? 100_000);
const WHICH = process.argv[3] ?? 'both';
const GOV_EVERY = 500;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAM = 'book:bench';
const T0 = 1673078400000; // a real XBT/USD hourly close (2023-01-07T08:00Z)

function event(i: number, directives: { n: number }): NewEvent {
  const t = T0 + Math.floor(i / 10) * 3_600_000;
  if (i % GOV_EVERY !== 0) return { type: 'mark.recorded', time_ms: t, payload: { cash: '10000', equity: '10000.5', i } };
  const id = `D${++directives.n}`;
  return {
    type: 'directive.proposed', time_ms: t,
    payload: {
      directive: {
        directive_id: id, issued_by: 'skill:sma-cross@1', role: 'strategy', type: 'order.open', objective: 'bench', scope: { book: 'bench', symbols: ['BTC/USD'] },
        constraints: {}, success_metrics: {}, budget: { notional_max: '1000' }, timebox: { expires_ms: null }, payload: { qty: '0.05' },
        idempotency_key: id, module: 'paper.order', provenance: {},
      },
    },
  };
}

async function fill(db: Db): Promise<void> {
  const store = new EventStore(db);
  const lease = await store.acquireLease(STREAM, 'bench', 600_000);
  const directives = { n: 0 };
  for (let from = 0; from < EVENTS; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, EVENTS - from) }, (_, k) => event(from + k + 1, directives));
    await store.append(lease, from, batch);
  }
  await store.releaseLease(lease);
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function run(engine: 'pglite' | 'postgres'): Promise<void> {
  let db: Db;
  let cleanup: () => Promise<void>;
  const schema = `bench_dirs_${process.pid}`;
  if (engine === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create();
    await pg.exec(`CREATE SCHEMA ${schema}`);
    db = await wrapPglite(pg, schema, 'pglite:memory:', () => pg.close());
    cleanup = () => db.close();
  } else {
    const admin = await openPostgres(PG_URL, 'public');
    await admin.exec(`CREATE SCHEMA ${schema}`);
    db = await openPostgres(PG_URL, schema);
    cleanup = async () => {
      await db.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    };
  }
  try {
    await migrate(db);
    await fill(db);
    const store = new EventStore(db);
    const port = new StoreOperator(store);
    const rows: string[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const [listMs, list] = await time(() => port.listDirectives(STREAM, { limit: 200 }));
      const [readMs, n] = await time(async () => {
        let k = 0;
        for await (const b of store.read(STREAM, { batchSize: 1000 })) k += b.length;
        return k;
      });
      rows.push(`list ${listMs.toFixed(0)} ms (${list.total} directives), read all ${readMs.toFixed(0)} ms (${n} events), ratio ${(readMs / listMs).toFixed(1)}x`);
    }
    process.stdout.write(`${engine}, ${EVENTS} events, 1 in ${GOV_EVERY} governance:\n  ${rows.join('\n  ')}\n`);
  } finally {
    await cleanup();
  }
}

for (const engine of ['pglite', 'postgres'] as const) if (WHICH === 'both' || WHICH === engine) await run(engine);
