/**
 * Content-addressed artifacts, on both engines: an append writes the artifacts its events name in
 * the same statement (a refused append writes neither); the store checks each key is the sha256 of
 * the body before writing (a wrong key: nothing written); the table is append-only; reading an
 * artifact re-checks its address. The artifacts here are real: the policy evaluations of a governed
 * run of the kernel over a real BTC/USD week.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { BookHarness, candlesOf, T0 } from '../../test/support/book.js';
import { artifactsOf, encodeEvent, type BookEvent } from '../core/book/index.js';
import { EventStore } from './event-store.js';
import { ConcurrencyError, IntegrityError } from './errors.js';

/** A governed run: every entry needs approval, so each signal is a directive with a policy evaluation. */
function governedSteps(): BookEvent[][] {
  const h = new BookHarness({
    book_id: 'art', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
    skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2, atr_period: 1 } }],
    sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000', governance: { policy: { version: 'art-1', approval: { notional_above: '1' } } },
  });
  const steps: BookEvent[][] = [h.start(T0)];
  for (const c of candlesOf([20000, 20000, 20050, 20000, 20100, 20200, 20100, 20300])) steps.push(h.tick([c]));
  return steps;
}

describeEngines('artifacts', (ctx) => {
  test('an append writes the artifacts its events name, checked; a wrong key or a refused append writes nothing; append-only', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease('book:art', 'w', 60_000);
    let seq = 0;
    const names: string[] = [];
    for (const step of governedSteps()) {
      const arts = artifactsOf(step);
      names.push(...arts.map((a) => a.hash));
      const stored = await store.append(lease, seq, step.map(encodeEvent), arts);
      for (const a of arts) assert.equal(stored[a.index]!.type, 'policy.evaluated');
      seq += step.length;
    }
    assert.ok(names.length >= 2, 'the run made policy evaluations');
    for (const h of names) {
      const a = await store.artifact(h);
      assert.equal(a?.kind, 'policy_evaluation');
      assert.equal((a?.body as { verdict: string }).verdict, 'NEEDS_APPROVAL');
    }
    // a wrong key: refused before anything is written
    const step = governedSteps().find((s) => artifactsOf(s).length > 0)!;
    const bad = artifactsOf(step).map((a) => ({ ...a, hash: 'f'.repeat(64) }));
    const head = await store.head('book:art');
    await assert.rejects(store.append(lease, seq, step.map(encodeEvent), bad), (e: Error) => e instanceof IntegrityError && /not the sha256 of its body/.test(e.message));
    assert.equal((await store.head('book:art'))!.seq, head!.seq, 'no event written');
    assert.equal(await store.artifact('f'.repeat(64)), null, 'no artifact written');
    // a refused append (wrong expected seq) writes no artifact either
    const other = artifactsOf(step).map((a) => ({ ...a, body: { ...(a.body as object), note: 'x' } }));
    const { toHex, sha256 } = await import('../core/canonical/hash.js');
    const { canonicalBytes } = await import('../core/canonical/index.js');
    const rehashed = other.map((a) => ({ ...a, hash: toHex(sha256(canonicalBytes(a.body))) }));
    await assert.rejects(store.append(lease, seq - 1, step.map(encodeEvent), rehashed), ConcurrencyError);
    assert.equal(await store.artifact(rehashed[0]!.hash), null);
    await assert.rejects(db.query('UPDATE artifacts SET kind = $1', ['x']), /append-only/);
    await assert.rejects(db.query('DELETE FROM artifacts'), /append-only/);
  });
});
