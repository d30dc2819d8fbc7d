/**
 * audit:suggestions on both engines: a finding is raised once however often it is found again,
 * cleared when its monitor no longer finds it (only within the pass's coverage), listed with its
 * fate by listSuggestions, and the stream chain-verifies (a tampered trail fails closed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { EventStore } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';
import { listSuggestions } from './read.js';
import { SUGGESTIONS_STREAM, SuggestionLedger, recordFindings, type Finding } from './suggestions.js';

const T0 = 1_764_000_000_000;
const stale: Finding = {
  monitor: 'stale_data', severity: 'warn', book: null, series: 'BTC/USD 3600', key: 'stale_data:BTC/USD 3600:warn',
  message: 'BTC/USD 3600: newest candle is 5h old', evidence: { newest_close_ms: T0 - 5 * 3600_000, age_ms: 5 * 3600_000 },
};
const near: Finding = {
  monitor: 'drawdown_near_tier', severity: 'warn', book: 'main', series: null, key: 'drawdown_near_tier:main:reduced',
  message: 'main: drawdown 4.6% is within 0.5% of tier reduced (5%)', evidence: { drawdown: '0.046' },
};
const all = () => true;

describeEngines('suggestions', (ctx) => {
  test('given findings, when recorded 100 times, then each is raised once; when gone, cleared once', async () => {
    const store = new EventStore(await ctx.freshDb());
    const ledger = new SuggestionLedger();
    const first = await recordFindings(store, ledger, [stale, near], all, { owner: 't', time_ms: T0 });
    assert.deepEqual(first.raised.map((s) => s.key), [stale.key, near.key]);
    for (let i = 1; i <= 100; i++) {
      // A fresh ledger each time too: the open set comes from the stream, not from memory.
      const r = await recordFindings(store, i % 2 ? new SuggestionLedger() : ledger, [stale, near], all, { owner: 't', time_ms: T0 + i });
      assert.equal(r.raised.length + r.cleared.length, 0);
      assert.equal(r.unchanged, 2);
    }
    assert.equal((await store.head(SUGGESTIONS_STREAM))!.seq, 2, '100 repeats wrote nothing');

    // A pass that covers only stale_data does not clear the drawdown suggestion.
    const onlyStale = await recordFindings(store, ledger, [], (o) => o.monitor === 'stale_data', { owner: 't', time_ms: T0 + 200 });
    assert.deepEqual(onlyStale.cleared, [{ monitor: 'stale_data', key: stale.key, observed_at_ms: T0 + 200 }]);
    const again = await recordFindings(store, ledger, [], (o) => o.monitor === 'stale_data', { owner: 't', time_ms: T0 + 201 });
    assert.equal(again.cleared.length, 0);

    const page = await listSuggestions(store, { limit: 10 });
    assert.equal(page.head_seq, 3);
    assert.equal(page.open_count, 1);
    assert.deepEqual(page.suggestions.map((s) => [s.seq, s.key, s.cleared]), [[1, stale.key, { seq: 3, observed_at_ms: T0 + 200 }], [2, near.key, null]]);
    assert.deepEqual((await listSuggestions(store, { limit: 10, book: 'main' })).suggestions.map((s) => s.key), [near.key]);
    assert.deepEqual((await listSuggestions(store, { limit: 10, open_only: true })).suggestions.map((s) => s.key), [near.key]);
    const p1 = await listSuggestions(store, { limit: 1 });
    assert.equal(p1.next_after_seq, 1);
    const p2 = await listSuggestions(store, { limit: 1, after_seq: p1.next_after_seq! });
    assert.deepEqual([p2.suggestions.map((s) => s.seq), p2.next_after_seq], [[2], null]);
    assert.equal((await listSuggestions(store, { limit: 10, since_ms: T0 + 1 })).suggestions.length, 0);

    // Raised again after it cleared: a new suggestion.
    const back = await recordFindings(store, ledger, [stale], (o) => o.monitor === 'stale_data', { owner: 't', time_ms: T0 + 300 });
    assert.deepEqual(back.raised.map((s) => s.key), [stale.key]);
    assert.equal((await store.verify(SUGGESTIONS_STREAM)).head_seq, 4);
    await assert.rejects(listSuggestions(store, { limit: 0 }), /limit must be an integer 1\.\.1000, got 0/);
  });

  test('a tampered audit trail fails closed', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    await recordFindings(store, new SuggestionLedger(), [stale], all, { owner: 't', time_ms: T0 });
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE events DISABLE TRIGGER events_no_update');
      await tx.query(`UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), '5h old', '1h old'), 'UTF8') WHERE stream = $1`, [SUGGESTIONS_STREAM]);
      await tx.exec('ALTER TABLE events ENABLE TRIGGER events_no_update');
    });
    await assert.rejects(listSuggestions(store, { limit: 10 }), (e: unknown) => e instanceof IntegrityError && /audit:suggestions seq 1/.test(e.message));
    await assert.rejects(recordFindings(store, new SuggestionLedger(), [], all, { owner: 't', time_ms: T0 + 1 }), IntegrityError);
  });
});
