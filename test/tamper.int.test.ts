/**
 * Tamper suite: seeded random single mutations of a stored log, done as a superuser around the
 * triggers (change one byte of a body, delete an event, swap two, change a hash or a prev_hash,
 * change a column, truncate the tail). verify must fail every time and name the exact seq.
 * Reproduce a failure with TAMPER_SEED=<seed printed>; TAMPER_MUTATIONS sets the count per engine
 * (default 500, so 1,000 across the two engines).
 */
import { mulberry32 } from './support/prng.js';
import { join } from 'node:path';
import { EXTERNAL_DATA_DIR } from './support/market-data.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { NewEvent } from '../src/core/events/index.js';
import { EventStore } from '../src/store/event-store.js';
import { IntegrityError } from '../src/store/errors.js';
import type { Queryable } from '../src/store/db.js';
import { describeEngines } from './support/engines.js';
import { withRollback } from './support/rollback.js';

const SEED = Number(process.env.TAMPER_SEED ?? 20261122);
const MUTATIONS = Number(process.env.TAMPER_MUTATIONS ?? 500);
const N = 120;
const STREAM = 'book:tamper';


const bars: NewEvent[] = readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSD_60.csv'), 'utf8').trim().split('\n').slice(0, N).map((line) => {
  const [t, open, high, low, close, volume, count] = line.split(',');
  return { type: 'bar.closed', time_ms: (Number(t) + 3600) * 1000, payload: { symbol: 'BTC/USD', open: open!, high: high!, low: low!, close: close!, volume: volume!, count: Number(count) } };
});

type Mutation = { name: string; expectSeq: number; apply: (tx: Queryable) => Promise<void> };

function pick(rand: () => number): Mutation {
  const seq = 1 + Math.floor(rand() * N);
  const other = 1 + ((seq + Math.floor(rand() * (N - 1))) % N); // != seq
  const kind = Math.floor(rand() * 8);
  const off = Math.floor(rand() * 40);
  const byte = 1 + Math.floor(rand() * 255);
  switch (kind) {
    case 0:
      // XOR one byte of the body with a non-zero value: it always changes.
      return { name: `flip body byte ${off} of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query(`UPDATE events SET body = set_byte(body, $2, get_byte(body, $2) # $3) WHERE stream = $1 AND seq = $4`, [STREAM, off, byte, seq]);
      } };
    case 1:
      return { name: `delete seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query('DELETE FROM events WHERE stream = $1 AND seq = $2', [STREAM, seq]);
      } };
    case 2: {
      const [a, b] = [Math.min(seq, other), Math.max(seq, other)];
      return { name: `swap seq ${a} and ${b}`, expectSeq: a, apply: async (tx) => {
        // Through a placeholder seq: the primary key forbids two rows at one seq, even briefly.
        await tx.query('UPDATE events SET seq = 1000000 WHERE stream = $1 AND seq = $2', [STREAM, a]);
        await tx.query('UPDATE events SET seq = $2 WHERE stream = $1 AND seq = $3', [STREAM, a, b]);
        await tx.query('UPDATE events SET seq = $2 WHERE stream = $1 AND seq = 1000000', [STREAM, b]);
      } };
    }
    case 3:
      return { name: `change hash byte ${off % 32} of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query(`UPDATE events SET hash = set_byte(hash, $2, get_byte(hash, $2) # $3) WHERE stream = $1 AND seq = $4`, [STREAM, off % 32, byte, seq]);
      } };
    case 4:
      return { name: `change prev_hash of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query(`UPDATE events SET prev_hash = set_byte(prev_hash, 0, get_byte(prev_hash, 0) # $2) WHERE stream = $1 AND seq = $3`, [STREAM, byte, seq]);
      } };
    case 5:
      return { name: `truncate the tail from seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query('DELETE FROM events WHERE stream = $1 AND seq >= $2', [STREAM, seq]);
      } };
    case 6:
      return { name: `retype seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query(`UPDATE events SET type = 'bar.opened' WHERE stream = $1 AND seq = $2`, [STREAM, seq]);
      } };
    default:
      return { name: `shift time_ms of seq ${seq}`, expectSeq: seq, apply: async (tx) => {
        await tx.query(`UPDATE events SET time_ms = time_ms + $2 WHERE stream = $1 AND seq = $3`, [STREAM, byte, seq]);
      } };
  }
}

describeEngines('tamper suite', (ctx) => {
  test(`${MUTATIONS} seeded single mutations are all detected at the exact seq (seed ${SEED})`, async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'tamper-test', 600_000);
    await store.append(lease, 0, bars);
    assert.equal((await store.verify(STREAM)).head_seq, N, 'the untouched log verifies');
    const rand = mulberry32(SEED + (ctx.engine === 'pglite' ? 0 : 1));
    const missed: string[] = [];
    for (let i = 0; i < MUTATIONS; i++) {
      const m = pick(rand);
      const outcome = await withRollback(db, async (view, tx) => {
        await tx.exec('ALTER TABLE events DISABLE TRIGGER USER');
        await m.apply(tx);
        try {
          await new EventStore(view).verify(STREAM);
          return 'not detected';
        } catch (e) {
          if (!(e instanceof IntegrityError)) return `unexpected ${String(e)}`;
          return e.seq === m.expectSeq ? 'ok' : `detected at seq ${e.seq}, expected ${m.expectSeq}: ${e.message}`;
        }
      });
      if (outcome !== 'ok') missed.push(`#${i} ${m.name}: ${outcome}`);
    }
    assert.deepEqual(missed, [], `seed ${SEED} (${ctx.engine})`);
    assert.equal((await store.verify(STREAM)).head_seq, N, 'every mutation was rolled back');
  });
});
