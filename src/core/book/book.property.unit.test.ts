/**
 * Property test of the whole book: random price paths (including zero-volume bars and gaps),
 * random execution settings (small participation caps force partial fills and close re-placements;
 * no cap at all fills whole, empty bars included), random sizing and
 * random operator flattens (book.flatten through the operator command) never break the invariants
 * the book checks, and always leave cash equal to a recomputation from the fill events alone, and
 * the fold of the STORED (encoded, then decoded) events equal to the state the steps built. A
 * failure prints its seed and path (fast-check shrinks it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import { BookHarness, H, P, T0 } from '../../../test/support/book.js';
import { decodeEvent, evolve, initialBookState, stateHash, type BookConfigInput } from './index.js';

const step = fc.record({
  move: fc.integer({ min: -300, max: 300 }), // per mille
  wick: fc.integer({ min: 0, max: 50 }),
  volume: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000_000_000 })), // base units of 1e-8
  gap: fc.integer({ min: 0, max: 20 }), // 0..20: a gap of one bar when 0
  flatten: fc.integer({ min: 0, max: 30 }), // 0: an operator flatten before this bar
});

const settings = fc.record({
  sizing: fc.constantFrom<BookConfigInput['sizing']>(
    { mode: 'pct_equity', pct: '100' }, { mode: 'pct_equity', pct: '35' }, { mode: 'fixed_qty', qty: '0.05' },
    { mode: 'fixed_notional', notional: '2500' }, { mode: 'vol_target', risk_pct: '2', atr_mult: '2', pct_equity_max: '90' }),
  participation: fc.constantFrom<string | null>('0.5', '5', '100', null),
  slippage: fc.constantFrom('0', '5', '50'),
  skill: fc.constantFrom(
    { skill: 'sma-cross', params: { fast: 1, slow: 2, atr_period: 1 } },
    { skill: 'donchian-breakout', params: { entry_period: 2, atr_period: 1, stop_atr_mult: 1, tp_atr_mult: 1 } },
    { skill: 'rsi-reversion', params: { period: 2, rsi_window: 10, oversold: 40, exit_above: 50 } }),
});

function path(steps: { move: number; wick: number; volume: number; gap: number }[]): Candle[] {
  let price = 2_000_000; // tenths: 200000.0 .. stays > 0
  let t = T0;
  const out: Candle[] = [];
  for (const s of steps) {
    const open = price;
    price = Math.max(10, Math.round((price * (1000 + s.move)) / 1000));
    const hi = Math.max(open, price) + Math.round((price * s.wick) / 1000);
    const lo = Math.max(1, Math.min(open, price) - Math.round((price * s.wick) / 1000));
    out.push({
      symbol: 'BTC/USD', interval_s: 3600, open_time_ms: t, open: Decimal.of(open, 1), high: Decimal.of(hi, 1), low: Decimal.of(lo, 1),
      close: Decimal.of(price, 1), volume: Decimal.of(s.volume, 8), vwap: null, count: s.volume === 0 ? 0 : 1,
    });
    t += (s.gap === 0 ? 2 : 1) * H;
  }
  return out;
}

test('property: random paths, settings and operator flattens never break the book invariants', () => {
  const seen = { fills: 0, partial: 0, clamped: 0, operator: 0, expired: 0, denied: 0, replaced: 0, uncapped: 0 };
  fc.assert(fc.property(fc.array(step, { minLength: 5, maxLength: 80 }), settings, (steps, st) => {
    const cfg: BookConfigInput = {
      book_id: 'prop', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
      skills: [{ skill: st.skill.skill, symbols: ['BTC/USD'], params: st.skill.params }], sizing: st.sizing,
      risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100' } },
      execution: { slippage_bps: st.slippage, impact_bps_per_volume_pct: st.participation === null ? '0' : '1', participation_pct_max: st.participation, market_expire_bars: 2 },
      initial_cash: '10000',
    };
    const h = new BookHarness(cfg);
    h.start(T0);
    const candles = path(steps);
    for (const [i, c] of candles.entries()) {
      if ((steps[i]?.flatten ?? 1) === 0) h.op('book.flatten', { reason: 'property' }, c.open_time_ms);
      h.tick([c]); // throws if an invariant breaks
    }
    const s = h.state;
    const encoded = h.encoded;
    let cash = Decimal.parse('10000');
    let pos = Decimal.ZERO;
    for (const e of encoded) {
      const pl = P(e);
      const mode = e.type === 'intent.created' ? (pl.sizing as { mode?: string } | null)?.mode : undefined;
      if (mode === 'flatten') seen.operator++;
      if (e.type === 'policy.evaluated' && pl.verdict === 'BLOCK') seen.denied++;
      if (e.type === 'order.closed' && pl.status === 'expired') seen.expired++;
      if (mode === 'close_remainder') seen.replaced++;
      if (e.type === 'fill.executed' && st.participation === null) seen.uncapped++;
      if (e.type !== 'fill.executed') continue;
      seen.fills++;
      if (pl.remaining !== '0') seen.partial++;
      if (pl.clamp !== null) seen.clamped++;
      const q = Decimal.parse(pl.qty as string);
      const cost = Decimal.parse(pl.price as string).mul(q);
      cash = pl.side === 'buy' ? cash.sub(cost).sub(Decimal.parse(pl.fee as string)) : cash.add(cost).sub(Decimal.parse(pl.fee as string));
      pos = pl.side === 'buy' ? pos.add(q) : pos.sub(q);
    }
    assert.ok(s.ledger.cash.eq(cash), `cash ${s.ledger.cash.toString()} != ${cash.toString()} from fills`);
    assert.ok(!cash.isNegative() && !pos.isNegative());
    let held = Decimal.ZERO;
    for (const l of s.ledger.lots['BTC/USD'] ?? []) held = held.add(l.qty);
    assert.ok(held.eq(pos), 'lots != position from fills');
    // the stored form folds back to the same state: decode every encoded event and evolve a fresh state
    let folded = initialBookState();
    for (const e of encoded) folded = evolve(folded, decodeEvent(e));
    assert.equal(stateHash(folded), h.stateHash(), 'fold(decoded events) != the state the steps built');
  }), { numRuns: 150 });
  // the generated cases really exercise the paths this test is about
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no case produced any ${k}: ${JSON.stringify(seen)}`);
});
