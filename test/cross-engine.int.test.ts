/** The same events give the same bytes and hashes on PGlite and PostgreSQL, read back from each. */
import { join } from 'node:path';
import { EXTERNAL_DATA_DIR } from './support/market-data.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { toHex } from '../src/core/canonical/hash.js';
import type { NewEvent } from '../src/core/events/index.js';
import { EventStore } from '../src/store/event-store.js';
import { migrate } from '../src/store/migrations.js';
import { wrapPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import type { Db } from '../src/store/db.js';
import { requirePostgres, TEST_PG_URL, uniqueName } from './support/engines.js';

// Real candles: the first 300 hours of 2023 from Kraken's BTC/USD hourly file, as bar events.
const CSV = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv');
const events: NewEvent[] = readFileSync(CSV, 'utf8').trim().split('\n').slice(0, 300).map((line) => {
  const [t, open, high, low, close, volume, count] = line.split(',');
  return { type: 'bar.closed', time_ms: (Number(t) + 3600) * 1000, payload: { symbol: 'BTC/USD', open: open!, high: high!, low: low!, close: close!, volume: volume!, count: Number(count) } };
});

let pglite: PGlite;
const dbs: Db[] = [];
const schema = uniqueName('x');
before(async () => {
  await requirePostgres();
  const { PGlite } = await import('@electric-sql/pglite');
  pglite = await PGlite.create();
  await pglite.exec(`CREATE SCHEMA ${schema}`);
  dbs.push(await wrapPglite(pglite, schema, 'pglite:memory:'));
  const admin = await openPostgres(TEST_PG_URL, 'public');
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  dbs.push(await openPostgres(TEST_PG_URL, schema));
  for (const db of dbs) await migrate(db);
});
after(async () => {
  for (const db of dbs) await db.close();
  await pglite.close();
  const admin = await openPostgres(TEST_PG_URL, 'public');
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

test('same events -> same canonical bytes and hash chain on both engines', async () => {
  const heads: string[][] = [];
  const bodies: string[][] = [];
  for (const db of dbs) {
    const store = new EventStore(db);
    const lease = await store.acquireLease('book:cross', 'cross-engine-test', 60_000);
    for (let i = 0; i < events.length; i += 100) await store.append(lease, i, events.slice(i, i + 100));
    const hashes: string[] = [];
    const bs: string[] = [];
    for await (const batch of store.read('book:cross', { batchSize: 128 })) {
      for (const e of batch) {
        hashes.push(toHex(e.hash));
        bs.push(toHex(e.body));
      }
    }
    const v = await store.verify('book:cross');
    assert.equal(v.head_seq, events.length);
    heads.push(hashes);
    bodies.push(bs);
  }
  assert.equal(heads[0]!.length, 300);
  assert.deepEqual(heads[1], heads[0]);
  assert.deepEqual(bodies[1], bodies[0]);
  // The first event's body carries the file's exact decimal strings, untouched by either engine.
  assert.match(Buffer.from(bodies[0]![0]!, 'hex').toString('utf8'), /"close":"16[0-9.]+"/);
});
