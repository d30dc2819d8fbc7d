/**
 * Quarantine on both engines: a quarantine is recorded in audit:quarantine (never in the broken
 * stream), reported by status until released, the audit stream chain-verifies, repeats of the
 * same finding are no-ops, and quarantineOnFailure maps store and divergence errors without ever
 * throwing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { EventStore } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';
import {
  AUDIT_STREAM, NotQuarantinedError, QUARANTINE_REASON_CHARS_MAX, QuarantinedError, quarantine, quarantineOnFailure, quarantineStatus, releaseQuarantine,
} from './quarantine.js';

const BOOK = 'book:q';
const T0 = 1_700_000_000_000;

async function bookWithEvents(store: EventStore): Promise<void> {
  const lease = await store.acquireLease(BOOK, 'test', 60_000);
  await store.append(lease, 0, [
    { type: 'x.one', time_ms: T0, payload: { n: 1 } },
    { type: 'x.two', time_ms: T0 + 1, payload: { n: 2 } },
  ]);
  await store.releaseLease(lease);
}

describeEngines('quarantine', (ctx) => {
  test('quarantine -> status shows it -> release -> status null; the broken stream is untouched', async () => {
    const store = new EventStore(await ctx.freshDb());
    await bookWithEvents(store);
    const before = await store.head(BOOK);
    assert.equal(await quarantineStatus(store, BOOK), null);

    const q = await quarantine(store, { stream: BOOK, seq: 2, kind: 'chain', reason: 'book:q seq 2: the hash chain is broken', detected_by: 'runtime restore', owner: 'host:1', time_ms: T0 + 10 });
    assert.deepEqual(q, { audit_seq: 1, written: true });
    const s = await quarantineStatus(store, BOOK);
    assert.deepEqual(s, { audit_seq: 1, seq: 2, kind: 'chain', reason: 'book:q seq 2: the hash chain is broken', detected_by: 'runtime restore', detected_by_owner: 'host:1', time_ms: T0 + 10 });
    assert.equal(await quarantineStatus(store, 'book:other'), null, 'only the named stream is quarantined');
    const msg = new QuarantinedError(BOOK, s!).message;
    assert.match(msg, /book:q is quarantined \(chain failure at seq 2\)/);
    assert.match(msg, /detected by runtime restore \(host:1\) at 2023-11-14T22:13:20\.010Z/);
    assert.match(msg, /warden replay verify --book q; when repaired or accepted: warden book release --book q --reason TEXT/);

    const r = await releaseQuarantine(store, BOOK, 'cli:alice@host', 'restored from backup', T0 + 20);
    assert.equal(r.audit_seq, 2);
    assert.equal(r.quarantine_seq, 1);
    assert.equal(await quarantineStatus(store, BOOK), null);
    await assert.rejects(releaseQuarantine(store, BOOK, 'cli:alice@host', 'again', T0 + 30), (e: unknown) => {
      assert.ok(e instanceof NotQuarantinedError);
      assert.match(e.message, /book:q is not quarantined/);
      return true;
    });

    // The audit stream chain-verifies and holds exactly the two events; the book did not move.
    const v = await store.verify(AUDIT_STREAM);
    assert.equal(v.head_seq, 2);
    const audit = [];
    for await (const batch of store.read(AUDIT_STREAM)) audit.push(...batch);
    assert.deepEqual(audit.map((e) => e.type), ['stream.quarantined', 'stream.quarantine_released']);
    assert.deepEqual(audit[1]!.payload, { stream: BOOK, released_by: 'cli:alice@host', reason: 'restored from backup', quarantine_seq: 1 });
    assert.deepEqual(await store.head(BOOK), before);
    assert.equal((await store.verify(BOOK)).head_seq, 2);
    const lease = (await store.streams()).find((x) => x.stream === AUDIT_STREAM)!;
    assert.equal(lease.lease_live, false, 'the audit lease was released');
  });

  test('the same finding again is a no-op; a new finding is appended and reported', async () => {
    const store = new EventStore(await ctx.freshDb());
    const base = { stream: BOOK, reason: 'r', detected_by: 'replay verify', owner: 'host:1', time_ms: T0 } as const;
    assert.deepEqual(await quarantine(store, { ...base, seq: 3, kind: 'snapshot' }), { audit_seq: 1, written: true });
    assert.deepEqual(await quarantine(store, { ...base, seq: 3, kind: 'snapshot' }), { audit_seq: 1, written: false });
    assert.deepEqual(await quarantine(store, { ...base, seq: null, kind: 'other' }), { audit_seq: 2, written: true });
    assert.equal((await quarantineStatus(store, BOOK))?.audit_seq, 2);
    const r = await releaseQuarantine(store, BOOK, 'op', 'accepted', T0 + 1);
    assert.equal(r.quarantine_seq, 2);
    assert.equal(await quarantineStatus(store, BOOK), null, 'a release clears every earlier quarantine of the stream');
    assert.deepEqual(await quarantine(store, { ...base, seq: 3, kind: 'snapshot' }), { audit_seq: 4, written: true });
  });

  test('reasons are bounded; bad input is refused naming the field', async () => {
    const store = new EventStore(await ctx.freshDb());
    await quarantine(store, { stream: BOOK, seq: 1, kind: 'chain', reason: 'x'.repeat(5000), detected_by: 'd', owner: 'o', time_ms: T0 });
    assert.equal((await quarantineStatus(store, BOOK))!.reason.length, QUARANTINE_REASON_CHARS_MAX);
    await assert.rejects(quarantine(store, { stream: BOOK, seq: 1, kind: 'bad' as 'chain', reason: '', detected_by: 'd', owner: 'o', time_ms: T0 }), /kind "bad": expected one of chain, snapshot, divergence, other/);
    await assert.rejects(quarantine(store, { stream: AUDIT_STREAM, seq: 1, kind: 'chain', reason: '', detected_by: 'd', owner: 'o', time_ms: T0 }), /cannot quarantine itself/);
  });

  test('quarantineOnFailure maps IntegrityError and divergence errors, skips others, never throws', async () => {
    const store = new EventStore(await ctx.freshDb());
    const integrity = new IntegrityError('book:q snapshot at seq 4 does not match a fresh fold', BOOK, 4);
    assert.deepEqual(await quarantineOnFailure(store, BOOK, integrity, 'runtime restore', { owner: 'h:1', time_ms: T0 }), { audit_seq: 1, written: true });
    assert.equal((await quarantineStatus(store, BOOK))!.kind, 'snapshot');

    const divergence = Object.assign(new Error('book:d seq 7: state differs'), { stream: 'book:d', seq: 7 });
    assert.deepEqual(await quarantineOnFailure(store, 'book:d', divergence, 'replay window', { owner: 'h:1', time_ms: T0 }), { audit_seq: 2, written: true });
    assert.equal((await quarantineStatus(store, 'book:d'))!.kind, 'divergence');
    const typed = Object.assign(new Error('book:e seq 1: chain'), { stream: 'book:e', seq: 1, kind: 'chain', exitCode: 65 });
    await quarantineOnFailure(store, 'book:e', typed, 'replay verify', { owner: 'h:1', time_ms: T0 });
    assert.equal((await quarantineStatus(store, 'book:e'))!.kind, 'chain');

    assert.equal(await quarantineOnFailure(store, 'book:f', new Error('network down'), 'x'), null);
    const usage = Object.assign(new Error('wrong kernel'), { stream: 'book:f', seq: 0, exitCode: 64 });
    assert.equal(await quarantineOnFailure(store, 'book:f', usage, 'x'), null, 'a usage error is not the book\'s fault');
    assert.equal(await quarantineStatus(store, 'book:f'), null);

    // A store that cannot be written: the write error is returned, not thrown.
    const broken = new EventStore({ ...store.db, transaction: () => Promise.reject(new Error('connection lost')) });
    const out = await quarantineOnFailure(broken, 'book:g', integrity, 'runtime restore');
    assert.ok(out !== null && 'error' in out);
    assert.match(out.error.message, /connection lost/);
  });

  test('a held audit lease is waited for (bounded); a lost one is retried', async () => {
    const store = new EventStore(await ctx.freshDb());
    const other = await store.acquireLease(AUDIT_STREAM, 'other-writer', 60_000);
    setTimeout(() => void store.releaseLease(other), 300);
    const r = await quarantine(store, { stream: BOOK, seq: 1, kind: 'chain', reason: 'r', detected_by: 'd', owner: 'me', time_ms: T0 });
    assert.equal(r.written, true);
    // Two writers racing with the same owner: each either writes or finds the other's mark.
    const [a, b] = await Promise.all([
      quarantine(store, { stream: 'book:a', seq: 1, kind: 'chain', reason: 'r', detected_by: 'd', owner: 'me', time_ms: T0 }),
      quarantine(store, { stream: 'book:b', seq: 1, kind: 'chain', reason: 'r', detected_by: 'd', owner: 'me', time_ms: T0 }),
    ]);
    assert.deepEqual([a.written, b.written], [true, true]);
    assert.equal((await store.verify(AUDIT_STREAM)).head_seq, 3);
  });
});
