/**
 * Tamper suite: seeded random single mutations of a stored book stream (the sma-cross book over
 * Kraken's Q1-2023 BTC/USD hours, with operator commands from the inbox and periodic snapshots),
 * made as a superuser around the triggers and rolled back: any byte of a body, hash or prev_hash,
 * the seq, stream, type and time_ms columns, deleted, swapped and truncated events, the stream
 * head, and snapshots (state and hash bytes, chain head, moved, forged with consistent hashes);
 * test/support/tamper-mutations.ts lists them. Each must be detected (an IntegrityError) at its
 * exact seq: by the chain check for events, by replay verify for snapshots.
 *
 * A new seed each run (printed; TAMPER_SEED=<seed> replays it); TAMPER_MUTATIONS sets the count
 * per engine (default and minimum 500: a smaller count is refused, not run). The kinds are drawn
 * in turn, so every run hits every kind on both engines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bookKernel, resolveBook } from '../src/core/book/index.js';
import { canonicalJson } from '../src/core/canonical/index.js';
import { EventStore } from '../src/store/event-store.js';
import { IntegrityError } from '../src/store/errors.js';
import { replayVerify } from '../src/replay/verify.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from './support/candles-csv.js';
import { runtimeStart, smaBookConfig, tickCommands, writeBook, type Script } from './support/book-driver.js';
import { describeEngines } from './support/engines.js';
import { mulberry32 } from './support/prng.js';
import { withRollback } from './support/rollback.js';
import { suiteCount, suiteSeed } from './support/suite-size.js';
import { MUTATION_KINDS, mutation, type TamperTarget } from './support/tamper-mutations.js';

const MUTATIONS_MIN = 500;
const STREAM = 'book:tamper';
const SEED = suiteSeed('TAMPER_SEED', process.env.TAMPER_SEED);
console.log(`tamper suite: TAMPER_SEED=${SEED}`);

const book = resolveBook(smaBookConfig('tamper'));
const ticks = tickCommands(book, loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 110));
const SCRIPT: Script[] = [
  runtimeStart('tamper', Date.UTC(2026, 0, 1), 1),
  ...ticks.slice(0, 70),
  { kind: 'inbox', command: 'book.pause', payload: { reason: 'tamper suite' } },
  ...ticks.slice(70, 80),
  { kind: 'inbox', command: 'book.resume', payload: { reason: 'tamper suite' } },
  ...ticks.slice(80),
  { kind: 'runtime.stop', time_ms: Date.UTC(2026, 0, 2), reason: 'SIGTERM' },
];

describeEngines('tamper suite', (ctx) => {
  test(`seeded single mutations anywhere in events, head and snapshots are all detected at the exact seq (TAMPER_SEED=${SEED})`, async () => {
    const count = suiteCount('TAMPER_MUTATIONS', process.env.TAMPER_MUTATIONS, MUTATIONS_MIN, MUTATIONS_MIN);
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const written = await writeBook(store, STREAM, bookKernel(book), SCRIPT, 90);
    const target: TamperTarget = {
      stream: STREAM, n: written.seq,
      snapshots: (await store.snapshots(STREAM)).map((s) => s.seq),
      types: [...new Set(written.events.map((e) => e.type))].sort(),
      forgeable: written.events.flatMap((e, i) => (/[1-9]/.test(canonicalJson(e.payload)) ? [i + 1] : [])),
    };
    assert.ok(target.snapshots.length >= 3 && target.types.includes('fill.executed') && target.types.includes('operator.command_applied'), JSON.stringify({ ...target, forgeable: target.forgeable.length }));
    const clean = await replayVerify(store, STREAM);
    assert.equal(clean.head_seq, target.n, 'the untouched log verifies');
    assert.equal(clean.snapshots_checked, target.snapshots.length);

    const rand = mulberry32(SEED + (ctx.engine === 'pglite' ? 0 : 1));
    const missed: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const m = mutation(i, rand, target);
      kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      const outcome = await withRollback(db, async (view, tx) => {
        // Triggers off for this transaction only (a superuser's setting; no DDL, rolled back with it).
        await tx.exec('SET LOCAL session_replication_role = replica');
        await m.apply(tx);
        const viewStore = new EventStore(view);
        try {
          if (m.check === 'chain') await viewStore.verify(STREAM);
          else await replayVerify(viewStore, STREAM);
          return 'not detected';
        } catch (e) {
          if (!(e instanceof IntegrityError)) return `unexpected ${String(e)}`;
          return e.seq === m.expectSeq ? 'ok' : `detected at seq ${e.seq}, expected ${m.expectSeq}: ${e.message}`;
        }
      });
      if (outcome !== 'ok') missed.push(`#${i} ${m.name}: ${outcome}`);
    }
    assert.deepEqual(missed, [], `TAMPER_SEED=${SEED} (${ctx.engine})`);
    assert.deepEqual([...kinds.keys()].sort(), [...MUTATION_KINDS].sort(), 'every kind of mutation was made');
    console.log(`tamper suite ${ctx.engine}: ${count} mutations over ${target.n} events and ${target.snapshots.length} snapshots, ${MUTATION_KINDS.length} kinds, all detected (TAMPER_SEED=${SEED})`);
    assert.equal((await replayVerify(store, STREAM)).head_seq, target.n, 'every mutation was rolled back');
  });
});
