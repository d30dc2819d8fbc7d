/**
 * Test helper (not a test): the crash suite's verdict on a store after a runtime was killed and
 * restarted many times. The log must be what one uninterrupted run of the same inputs writes:
 * every bar once, in order; every inbox command applied exactly once, in inbox order; the fills
 * and the book state (all but its start/stop counts) of an in-memory run that applies the stored
 * candles' ticks and the inbox commands at the points the log shows (with no command, also the
 * uninterrupted backtest's); replayVerify and re-execution pass.
 */
import assert from 'node:assert/strict';
import { bookKernel, decodeEvent, encodeState, resolveBook, ticksOf, type BookConfigInput, type BookState, type RuntimeCommand } from '../../src/core/book/index.js';
import { canonicalJson, type CanonicalValue } from '../../src/core/canonical/index.js';
import { arrayReader, runBacktest } from '../../src/backtest/run.js';
import { encodingSink } from '../../src/backtest/sinks.js';
import { FillFingerprint } from '../../src/backtest/summary.js';
import type { StoredEvent } from '../../src/core/events/index.js';

/**
 * The book's state without its run bookkeeping (how many starts, stops and events): a runtime
 * killed and restarted fifty times and a run that started once must agree on everything else.
 */
export function tradingPart(s: BookState): string {
  const { counts: _counts, ...rest } = encodeState(s) as { [k: string]: CanonicalValue };
  return canonicalJson(rest);
}

const field = (e: StoredEvent, k: string): CanonicalValue | undefined => (e.payload as { [k: string]: CanonicalValue })[k];

export async function checkCrashResult(url: string, config: unknown, ticks: number, commands: readonly string[]): Promise<void> {
  const { openDb } = await import('../../src/store/open.js');
  const { EventStore } = await import('../../src/store/event-store.js');
  const { replayVerify } = await import('../../src/replay/verify.js');
  const { reexecute, storeInputs } = await import('../../src/replay/index.js');
  const { CandleStore } = await import('../../src/store/candle-store.js');
  const book = resolveBook(config as BookConfigInput);
  const kernel = bookKernel(book);
  const db = await openDb(url, { command: 'crash-suite check' });
  try {
    const candles = await new CandleStore(db).loadCandles('BTC/USD', 3600, 0, Number.MAX_SAFE_INTEGER);
    assert.equal(candles.length, ticks);
    const store = new EventStore(db);
    const inbox = await store.inboxRead('book:main', 0, 1000);
    assert.deepEqual(inbox.map((r) => r.command), commands, 'the inbox holds the commands issued, in order');

    // One pass over the log: the state, the fills, the bars, and the inputs in the order applied.
    const state = kernel.decider.initialState();
    const fingerprint = new FillFingerprint();
    const bars: number[] = [];
    const fillIds: string[] = [];
    const applied: { step: 'market.tick' | 'operator.command'; time_ms: number; inbox_id: number }[] = [];
    const outcomes: { inbox_id: number; type: string; status_after: CanonicalValue | undefined }[] = [];
    for await (const batch of store.read('book:main')) {
      for (const e of batch) {
        const typed = decodeEvent(e);
        kernel.decider.evolve(state, typed);
        fingerprint.add(typed);
        if (e.type === 'bar.closed') bars.push(field(e, 'open_time_ms') as number);
        if (e.type === 'fill.executed') fillIds.push(field(e, 'fill_id') as string);
        if (e.type === 'operator.command_applied' || e.type === 'operator.command_rejected') {
          outcomes.push({ inbox_id: field(e, 'inbox_id') as number, type: e.type, status_after: field(e, 'status_after') });
        }
        const cmd = e.type === 'step.started' ? field(e, 'command') : undefined;
        if (cmd === 'market.tick' || cmd === 'operator.command') applied.push({ step: cmd, time_ms: e.time_ms, inbox_id: cmd === 'operator.command' ? (field(e, 'inbox_id') as number) : 0 });
      }
    }

    // Exactly once: one operator step per inbox row, in inbox order, each applied (they alternate
    // pause / resume, so a repeated or a lost one would be rejected), the last one's status at the end.
    const opIds = applied.filter((a) => a.step === 'operator.command').map((a) => a.inbox_id);
    assert.deepEqual(opIds, inbox.map((r) => r.id), 'every inbox command is applied exactly once, in inbox order');
    assert.deepEqual(outcomes.map((o) => `${o.inbox_id} ${o.type} ${String(o.status_after)}`), inbox.map((r, i) => `${r.id} operator.command_applied ${i % 2 === 0 ? 'PAUSED' : 'ACTIVE'}`));
    assert.equal(kernel.view(state).status, commands.length % 2 === 1 ? 'PAUSED' : 'ACTIVE');
    assert.equal(kernel.view(state).last_inbox_id, inbox.length === 0 ? 0 : inbox[inbox.length - 1]!.id);

    // Every bar once, in order; no fill twice.
    assert.equal(bars.length, ticks, 'every bar processed exactly once');
    assert.equal(new Set(bars).size, ticks, 'a bar processed twice');
    assert.deepEqual(bars, [...bars].sort((a, b) => a - b), 'bars out of order');
    assert.equal(new Set(fillIds).size, fillIds.length, 'a fill id appears twice');

    // The uninterrupted run of the same inputs, in memory: one start, then the ticks and the
    // commands in the order the log applied them.
    const tickAt = new Map(ticksOf(book.symbols, book.interval_s, candles).map((t) => [t.time_ms, t.candles]));
    const rowOf = new Map(inbox.map((r) => [r.id, r]));
    const ref = kernel.decider.initialState();
    const refFills = new FillFingerprint();
    const apply = (c: RuntimeCommand) => kernel.decider.step(c, ref).forEach((ev) => refFills.add(ev));
    apply({ kind: 'runtime.start', time_ms: candles[0]!.open_time_ms, book_id: 'main', execution_plane: 'PAPER', owner: 'crash-suite:reference', lease_epoch: 1 });
    for (const a of applied) {
      if (a.step === 'market.tick') apply({ kind: 'market.tick', time_ms: a.time_ms, candles: tickAt.get(a.time_ms)! });
      else {
        const r = rowOf.get(a.inbox_id)!;
        apply({ kind: 'operator.command', time_ms: Date.parse(r.received_at), inbox_id: r.id, command: r.command, payload: r.payload, issued_by: r.issued_by });
      }
    }
    apply({ kind: 'runtime.stop', time_ms: candles[candles.length - 1]!.open_time_ms, reason: 'SIGTERM' }); // the final run's clean stop
    assert.ok(fillIds.length >= 6, `the book should trade: ${fillIds.length} fills`);
    assert.equal(fingerprint.hex(), refFills.hex(), 'fills fingerprint differs from the uninterrupted run of the same inputs');
    assert.equal(tradingPart(state), tradingPart(ref), 'the book state (all but its start/stop counts) differs from the uninterrupted run of the same inputs');
    if (commands.length === 0) {
      const backtest = await runBacktest(book, arrayReader(candles), encodingSink());
      assert.equal(fingerprint.hex(), backtest.summary.fingerprint, 'fills fingerprint differs from the uninterrupted backtest');
      assert.equal(tradingPart(state), tradingPart(backtest.state), 'the book state differs from the uninterrupted backtest');
    }

    const v = await replayVerify(store, 'book:main', undefined, { name: 'trading', kernel });
    assert.equal(v.state_hash, kernel.stateHash(state), 'replayVerify folded the same state');
    assert.ok(v.snapshots_checked > 0, 'snapshots were written and checked');
    // Re-execute: every step the crashing runtimes wrote (ticks, commands, starts after a crash, the
    // final stop) is reproduced from the recorded inputs by the current kernel, event for event.
    const rx = await reexecute(store, 'book:main', kernel, 'trading', storeInputs(db));
    assert.equal(rx.steps_checked, rx.steps);
    assert.ok(rx.steps > ticks + commands.length, `${rx.steps} steps: every tick and command plus the runtime starts and stops`);
    assert.equal(rx.state_hash, v.state_hash, 're-execution ends in the rebuilt state');
  } finally {
    await db.close();
  }
}
