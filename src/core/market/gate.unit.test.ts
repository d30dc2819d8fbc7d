/**
 * The gate's fast path (CandleGate.passPlain, the rules on a row's exact numbers, no bigint
 * arithmetic) against check(), the reference: over random series (times in and out of order,
 * gaps, repeats, prices in mixed scales, high/low at and across the bounds, drift at exactly the
 * factor and one unit either side, no-trade rows), a gate that tries passPlain first and falls back
 * to isRepeat + check gives every row the same verdict, in the same words, and the same summary as
 * a gate that only uses check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import type { MarketCandle } from './candle.js';
import { CandleGate, DEFAULT_GATE_POLICY, PLAIN_CLOSE, PLAIN_COUNT, PLAIN_HIGH, PLAIN_LOW, PLAIN_OPEN, PLAIN_ROW_LENGTH, PLAIN_TIME, PLAIN_VOLUME, type GatePolicy } from './gate.js';

const H = 3600;
type U = [units: number, scale: number];

/** A row as the parser gives it: the candle and its numbers (units < 10^15, scale <= 14). */
function plainRow(t_s: number, o: U, h: U, l: U, c: U, v: U, count: number): { candle: MarketCandle; row: Float64Array } {
  const row = new Float64Array(PLAIN_ROW_LENGTH);
  row[PLAIN_TIME] = t_s;
  for (const [k, [u, s]] of [[PLAIN_OPEN, o], [PLAIN_HIGH, h], [PLAIN_LOW, l], [PLAIN_CLOSE, c], [PLAIN_VOLUME, v]] as const) {
    row[k] = u;
    row[k + 1] = s;
  }
  row[PLAIN_COUNT] = count;
  const d = ([u, s]: U) => Decimal.of(BigInt(u), s);
  return { candle: { symbol: 'BTC/USD', interval_s: H, open_time_ms: t_s * 1000, open: d(o), high: d(h), low: d(l), close: d(c), volume: d(v), vwap: null, count }, row };
}

/** [units, scale] of `u` units at scale `s`, written at scale `s + extra` (the same value, more zeros). */
const rescale = ([u, s]: U, extra: number): U => (u * 10 ** extra < 1e15 && s + extra <= 14 ? [u * 10 ** extra, s + extra] : [u, s]);

/** Steps of a random series, applied to the previous row's close (prices as [units, scale]). */
const step = fc.record({
  dt: fc.constantFrom(H, H, H, H, H, H, 2 * H, 5 * H, 0, -H, H / 2, H + 1),
  open: fc.constantFrom('same', 'near', 'near', 'near', 'near', 'x3', 'x3+1', 'x3-1', '/3', '/3+1', '/3-1', 'x10'),
  delta: fc.integer({ min: 0, max: 500 }),
  spread: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -2, max: 300 })),
  closeMove: fc.integer({ min: -400, max: 400 }),
  extra: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
  lowKind: fc.constantFrom('below', 'below', 'below', 'below', 'equal', 'equal', 'above', 'zero'),
  vol: fc.constantFrom<U>([1, 1], [4643771882, 8], [10, 0], [1, 1], [4643771882, 8], [10, 0], [0, 0], [0, 3]),
  count: fc.constantFrom(1, 5, 798, 1, 5, 798, 0),
  kind: fc.constantFrom('row', 'row', 'row', 'row', 'row', 'row', 'repeat', 'flat'),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function series(steps: Step[]): { candle: MarketCandle; row: Float64Array }[] {
  const out: { candle: MarketCandle; row: Float64Array }[] = [];
  let t = 1_672_531_200;
  let close: U = [1_694_300, 2];
  for (const s of steps) {
    if (s.kind === 'repeat' && out.length > 0) {
      out.push(out[out.length - 1]!);
      continue;
    }
    t += s.dt;
    const [pu, ps] = close;
    let ou = pu;
    switch (s.open) {
      case 'near': ou = pu + s.delta - 250; break;
      case 'x3': ou = pu * 3; break;
      case 'x3+1': ou = pu * 3 + 1; break;
      case 'x3-1': ou = pu * 3 - 1; break;
      case '/3': ou = Math.floor(pu / 3); break;
      case '/3+1': ou = Math.floor(pu / 3) + 1; break;
      case '/3-1': ou = Math.floor(pu / 3) - 1; break;
      case 'x10': ou = pu * 10; break;
    }
    ou = Math.max(ou, 1);
    const cu = Math.max(ou + s.closeMove, 1);
    const hu = Math.max(ou, cu) + s.spread;
    const lowU = s.lowKind === 'zero' ? 0 : s.lowKind === 'equal' ? Math.min(ou, cu) : s.lowKind === 'above' ? Math.min(ou, cu) + 1 : Math.max(Math.min(ou, cu) - s.delta, 1);
    const [e0, e1, e2, e3] = s.extra;
    if (s.kind === 'flat') {
      out.push(plainRow(t, rescale([ou, ps], e0), rescale([ou, ps], e1), rescale([ou, ps], e2), [ou, ps], [0, e3], 0));
      close = [ou, ps];
      continue;
    }
    const o = rescale([ou, ps], e0);
    const c = rescale([cu, ps], e3);
    out.push(plainRow(t, o, rescale([Math.max(hu, 0), ps], e1), rescale([lowU, ps], e2), c, s.vol, s.count));
    close = [cu, ps];
  }
  return out;
}

const POLICIES: GatePolicy[] = [
  DEFAULT_GATE_POLICY,
  { ...DEFAULT_GATE_POLICY, gap: 'reject', gap_intervals_max: 1 },
  { ...DEFAULT_GATE_POLICY, drift_factor_max: Decimal.of(25, 1) },
  { ...DEFAULT_GATE_POLICY, drift_factor_max: null },
];

test('passPlain then check gives every row check\'s verdict, in the same words, and the same summary (fast-check)', () => {
  let fast = 0;
  let slow = 0;
  fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.constantFrom(...POLICIES.keys()), (steps, p) => {
    const policy = POLICIES[p]!;
    const reference = new CandleGate('BTC/USD', H, policy, null);
    const gate = new CandleGate('BTC/USD', H, policy, null);
    const verdict = (g: CandleGate, c: MarketCandle) => (g.isRepeat(c) ? 'repeat' : g.check(c, 'f:1'));
    for (const { candle, row } of series(steps)) {
      const expected = verdict(reference, candle);
      let got: ReturnType<typeof verdict>;
      if (gate.passPlain(candle, row)) {
        fast++;
        got = [];
      } else {
        slow++;
        got = verdict(gate, candle);
      }
      assert.deepEqual(got, expected, JSON.stringify(row));
    }
    assert.deepEqual(gate.summary(), reference.summary());
  }), { numRuns: 3_000 });
  assert.ok(fast > 1_000 && slow > 1_000, `both paths exercised (fast ${fast}, slow ${slow})`);
});
