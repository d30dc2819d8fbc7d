/**
 * Snapshot codec: a state taken mid-run on real data (with a working order, then with an open
 * position), encoded to JSON text and decoded, has the same state hash, and the engine continued
 * from it emits byte-identical events to the engine continued from the original. Bad input is
 * refused naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, type CanonicalValue } from '../canonical/index.js';
import { closeTimeMs } from '../market/candle.js';
import { BTC_HOURLY, loadKrakenCsv } from '../../../test/support/candles-csv.js';
import { decodeEngineState, engineDecider, engineStateCodec, engineStateHash, resolveBook, type BookConfigInput, type EngineEvent, type EngineState } from './index.js';

const candles = loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { fromMs: Date.UTC(2022, 0, 1), toMs: Date.UTC(2022, 3, 1) });
const cfg: BookConfigInput = {
  book_id: 'codec', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { expire_bars: 4 } }], sizing: { mode: 'pct_equity', pct: '30' },
  execution: { slippage_bps: '5', impact_bps_per_volume_pct: '0', participation_pct_max: '1', market_expire_bars: 3 }, initial_cash: '10000',
};

test('decode(encode(state)) mid-run continues exactly like the original (working order, open position)', () => {
  const d = engineDecider(resolveBook(cfg));
  let s = d.step({ type: 'start', time_ms: closeTimeMs(candles[0]!) - 3_600_000 }, d.initialState()).state;
  const cuts: { i: number; why: string }[] = [];
  const states: EngineState[] = [];
  for (const [i, c] of candles.entries()) {
    s = d.step({ type: 'bar_closed', time_ms: closeTimeMs(c), candles: [c] }, s).state;
    states.push(s);
    if (cuts.length === 0 && s.orders.length > 0) cuts.push({ i, why: 'working order' });
    if (cuts.length === 1 && s.orders.length === 0 && Object.keys(s.ledger.lots).length > 0) cuts.push({ i, why: 'open position' });
  }
  assert.equal(cuts.length, 2, 'the slice produced both situations');
  for (const cut of cuts) {
    const original = states[cut.i]!;
    const restored = decodeEngineState(JSON.parse(JSON.stringify(engineStateCodec.encode(original))) as CanonicalValue);
    assert.equal(engineStateHash(restored), engineStateHash(original), cut.why);
    let a = original;
    let b = restored;
    const ea: EngineEvent[] = [];
    const eb: EngineEvent[] = [];
    for (const c of candles.slice(cut.i + 1, cut.i + 400)) {
      const ra = d.step({ type: 'bar_closed', time_ms: closeTimeMs(c), candles: [c] }, a);
      const rb = d.step({ type: 'bar_closed', time_ms: closeTimeMs(c), candles: [c] }, b);
      ea.push(...ra.events);
      eb.push(...rb.events);
      a = ra.state;
      b = rb.state;
    }
    assert.ok(ea.some((e) => e.type === 'fill.executed'), `${cut.why}: the continuation trades`);
    assert.equal(canonicalJson(eb as unknown as CanonicalValue), canonicalJson(ea as unknown as CanonicalValue), cut.why);
    assert.equal(engineStateHash(b), engineStateHash(a));
  }
});

test('decode refuses a bad snapshot and names the field', () => {
  const d = engineDecider(resolveBook(cfg));
  const s = d.step({ type: 'start', time_ms: 0 }, d.initialState()).state;
  const good = engineStateCodec.encode(s) as Record<string, CanonicalValue>;
  assert.throws(() => decodeEngineState({ ...good, v: 2 }), /state.v/);
  assert.throws(() => decodeEngineState({ ...good, tier: 'panic' }), /tier: panic/);
  assert.throws(() => decodeEngineState({ ...good, ledger: { ...(good.ledger as Record<string, CanonicalValue>), cash: '1e3' } }), /ledger.cash/);
});
