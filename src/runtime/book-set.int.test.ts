/**
 * The claim rules of several books (./book-set.ts), on both engines, with two book sets of two
 * owners over one store standing for two runtime processes: started together they split the
 * list (one book per round while pacing), no book is held twice; when one stops renewing (a dead
 * process) the other takes its books once the leases expired, with a new epoch, and the dead
 * one's runner can no longer write (fencing).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bookKernel } from '../core/book/index.js';
import { EventStore } from '../store/event-store.js';
import { LeaseError } from '../store/errors.js';
import { describeEngines } from '../../test/support/engines.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { BookSet } from './book-set.js';
import type { BookFatal } from './book-supervisor.js';

const TTL_MS = 3000;
const BOOKS = ['a', 'b', 'c'];
const snapshotDir = mkdtempSync(join(tmpdir(), 'warden-book-set-'));
after(() => rmSync(snapshotDir, { recursive: true, force: true }));

describeEngines('several books: claiming by lease', (ctx) => {
  test('given two owners, when they claim together, then they split the books; when one dies, the other takes its books after the ttl, fenced', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const specs = BOOKS.map((id) => ({ id, kernel: bookKernel(null), configPath: null, configHash: null, configName: `book ${id}` }));
    const failures: BookFatal[] = [];
    const make = (owner: string) => {
      const cap = captureLogger();
      const set = new BookSet(specs, { db, store, owner, plane: 'PAPER', leaseTtlMs: TTL_MS, snapshotEveryEvents: 1000, snapshotDir }, {
        log: cap.log, roundMs: TTL_MS / 3, pace: true, onAllFailed: (f) => failures.push(f),
      });
      return { set, cap };
    };
    const x = make('host-x:1');
    const y = make('host-y:2');
    const claim = async (s: BookSet) => {
      const r = await s.acquireRound();
      await s.restoreHeld();
      await s.startRestored();
      return r.held;
    };
    // Round 0 of each, then round 1 of each: pacing takes one book per round.
    assert.deepEqual(await claim(x.set), ['a']);
    assert.deepEqual(await claim(y.set), ['b']);
    assert.deepEqual(await claim(x.set), ['c']);
    assert.deepEqual(await claim(y.set), []);
    const runs = (s: BookSet) => s.running.map((b) => b.spec.id);
    assert.deepEqual([runs(x.set), runs(y.set)], [['a', 'c'], ['b']]);
    assert.equal(x.cap.events('book_waiting').length, 1, 'x saw b held by y');
    assert.equal(y.cap.events('book_waiting').find((l) => l.book === 'a')?.holder, 'host-x:1');

    // x dies: it stops renewing and writing, its leases stay until the ttl.
    const dead = x.set.running.map((b) => ({ id: b.spec.id, runner: b.runner!, epoch: b.lease!.epoch }));
    x.set.halt();
    assert.deepEqual(await claim(y.set), [], 'live leases are not taken');
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    assert.deepEqual(await claim(y.set), ['a', 'c'], 'after the ttl, every free book at once (pacing ended)');
    assert.deepEqual(runs(y.set), BOOKS);
    for (const d of dead) {
      const now = y.set.books.find((b) => b.spec.id === d.id)!;
      assert.equal(now.lease!.epoch, d.epoch + 1);
      await assert.rejects(store.append(d.runner.lease, d.runner.seq, [{ type: 'x.test', time_ms: 0, payload: {} }]), LeaseError, `${d.id}: the dead owner's epoch is fenced`);
    }
    const stopped = await y.set.stopAll('test');
    assert.deepEqual(stopped.map((s) => s.book), BOOKS);
    const infos = await store.streams();
    for (const id of BOOKS) assert.equal(infos.find((i) => i.stream === `book:${id}`)?.lease_live, false, `${id} released`);
    assert.deepEqual(failures, []);
  });
});
