/** Replay verify on both engines: chain + fold + every snapshot; divergences named by seq. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { bookDecider, bookStateCodec, stateHashHex, type BookState, type RuntimeCommand } from '../core/book/index.js';
import { fold } from '../core/decider/index.js';
import { EventStore, type Lease } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';
import { replayVerify } from './verify.js';

const STREAM = 'book:replay';
const T0 = 1_672_531_200_000;

/** Drives the real book decider through a session: start, operator commands, stop; snapshots along the way. */
async function runSession(store: EventStore, lease: Lease, snapshotAt: number[]): Promise<BookState> {
  let state: BookState = bookDecider.initialState();
  let seq = 0;
  const cmds: RuntimeCommand[] = [
    { kind: 'runtime.start', time_ms: T0, book_id: 'replay', execution_plane: 'PAPER', owner: 'test', lease_epoch: lease.epoch },
    { kind: 'operator.command', time_ms: T0 + 1000, inbox_id: 1, command: 'book.pause', payload: { reason: 'maintenance' }, issued_by: 'alice' },
    { kind: 'operator.command', time_ms: T0 + 2000, inbox_id: 2, command: 'book.pause', payload: {}, issued_by: 'alice' },
    { kind: 'operator.command', time_ms: T0 + 3000, inbox_id: 3, command: 'book.resume', payload: {}, issued_by: 'bob' },
    { kind: 'runtime.stop', time_ms: T0 + 4000, reason: 'sigterm' },
  ];
  for (const c of cmds) {
    const events = bookDecider.decide(c, state);
    await store.append(lease, seq, events);
    seq += events.length;
    state = fold(bookDecider, events, state);
    if (snapshotAt.includes(seq)) await store.saveSnapshot(lease, seq, bookStateCodec.encode(state), 'periodic');
  }
  return state;
}

describeEngines('replay verify', (ctx) => {
  test('a clean stream: chain head, the folded state hash and every snapshot agree', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    const final = await runSession(store, lease, [2, 4, 6]);
    const r = await replayVerify(store, STREAM);
    assert.equal(r.events, 6);
    assert.equal(r.kernel, 'book');
    assert.equal(r.snapshots_checked, 3);
    assert.equal(r.state_hash, stateHashHex(bookStateCodec, final));
    assert.equal(r.chain_head, (await store.streams())[0]!.head_hash);
  });

  test('a snapshot that disagrees with the fold is named by its seq', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    const final = await runSession(store, lease, [2]);
    // A snapshot written at seq 4 with the state of seq 6: plausible bytes, wrong place.
    await store.saveSnapshot(lease, 4, bookStateCodec.encode(final), 'periodic');
    await assert.rejects(replayVerify(store, STREAM), (e: unknown) => {
      assert.ok(e instanceof IntegrityError);
      assert.equal(e.seq, 4);
      assert.match(e.message, /snapshot at seq 4 \(periodic\) differs from the state folded/);
      return true;
    });
  });

  test('a changed kernel (a decider that folds differently) is caught at the first snapshot', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    await runSession(store, lease, [3, 4, 6]);
    const patched = {
      name: 'book-patched',
      kernel: {
        decider: { ...bookDecider, evolve: (s: BookState, e: Parameters<typeof bookDecider.evolve>[1]) => (e.type === 'operator.command_rejected' ? s : bookDecider.evolve(s, e)) },
        codec: bookStateCodec,
        view: () => ({ book_id: null, execution_plane: null, status: '', last_inbox_id: 0, running: false }),
      },
    };
    // seq 4 is the rejected duplicate pause: the patched fold diverges there; snapshot 3 still
    // agrees, snapshot 4 is the first that cannot.
    await assert.rejects(replayVerify(store, STREAM, undefined, patched as never), (e: unknown) => e instanceof IntegrityError && e.seq === 4);
  });
});
