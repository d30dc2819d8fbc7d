/**
 * Ingestion throughput, printed (never asserted): CSV rows/s through the whole gate on each
 * engine vs a raw unnest insert of the same rows, and trades/s through the aggregator.
 * Data: data/kraken/ETHUSD_60.csv (63,568 real rows); the nautilus REST trades repeated.
 * Run: npm run build && node dist/bench/ingest.js   (PostgreSQL at TEST_DATABASE_URL or 127.0.0.1)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decimal } from '../src/core/money/decimal.js';
import { TradeAggregator, type Trade } from '../src/core/market/aggregate.js';
import { ingestFile } from '../src/ingest/ingest.js';
import { migrate } from '../src/store/migrations.js';
import { openDb } from '../src/store/open.js';
import { openPostgres } from '../src/store/postgres.js';
import type { Db } from '../src/store/db.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CSV = join(root, 'data', 'kraken', 'ETHUSD_60.csv');
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const lines = readFileSync(CSV, 'utf8').trimEnd().split('\n');

async function rawInsert(db: Db): Promise<number> {
  await db.exec('CREATE TABLE raw_bench (t bigint, o text, h text, l text, c text, v text, n int)');
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    for (let i = 0; i < lines.length; i += 5000) {
      const f = lines.slice(i, i + 5000).map((l) => l.split(','));
      await tx.query('INSERT INTO raw_bench SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])',
        [0, 1, 2, 3, 4, 5, 6].map((k) => f.map((r) => r[k])));
    }
  });
  return lines.length / ((performance.now() - t0) / 1000);
}

async function bench(engine: 'pglite' | 'postgres'): Promise<void> {
  const schema = `bench_ingest_${process.pid}`;
  let db: Db;
  if (engine === 'pglite') db = await openDb('pglite:memory:', { command: 'bench', schema });
  else {
    const admin = await openPostgres(PG, 'public');
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await admin.close();
    db = await openPostgres(PG, schema);
  }
  try {
    await migrate(db);
    const t0 = performance.now();
    const r = await ingestFile(db, CSV);
    const gated = r.accepted / ((performance.now() - t0) / 1000);
    const raw = await rawInsert(db);
    console.log(`${engine.padEnd(8)} gate+store ${Math.round(gated).toLocaleString('en-US')} rows/s   raw unnest insert ${Math.round(raw).toLocaleString('en-US')} rows/s   (${r.accepted} rows)`);
  } finally {
    if (engine === 'postgres') await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}

function benchAggregation(): void {
  const rows = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'external', 'kraken-payloads', 'nautilus_http_trades.json'), 'utf8')) as { result: { XBTUSDT: unknown[][] } }).result.XBTUSDT;
  const base: Trade[] = rows.map((r) => ({ time_us: Math.round((r[2] as number) * 1e6), price: Decimal.parse(r[0] as string), volume: Decimal.parse(r[1] as string) }));
  const span = base[base.length - 1]!.time_us - base[0]!.time_us + 60_000_000;
  const reps = 500;
  const agg = new TradeAggregator('BTC/USDT', 60, 1);
  let candles = 0;
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) for (const t of base) candles += agg.push({ ...t, time_us: t.time_us + k * span }).length;
  const s = (performance.now() - t0) / 1000;
  console.log(`aggregate ${Math.round((reps * base.length) / s).toLocaleString('en-US')} trades/s (${reps * base.length} trades -> ${candles} 1m candles)`);
}

benchAggregation();
await bench('pglite');
await bench('postgres');
