/**
 * tierOf (./tick.ts: the per-tick tier, with the profile's thresholds kept at the drawdown's scale)
 * gives tierFor's answer (core/risk) for any profile and drawdown: at, just under and just over each
 * threshold, at other scales, for thresholds of up to 6 digits (past 4 it falls back to tierFor),
 * and when profiles alternate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import { DEFAULT_RISK_PROFILE, tierFor, type RiskProfile } from '../risk/profile.js';
import { tierOf } from './tick.js';

const pctText = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([i, d, f]) => (d === 0 ? String(i) : `${i}.${String(f).padStart(6, '0').slice(0, d)}`));
const profileOf = (a: string, b: string, c: string): RiskProfile => {
  const [reduced, reducingOnly, halted] = [a, b, c].map((x) => Decimal.parse(x)).sort((x, y) => x.cmp(y));
  return { ...DEFAULT_RISK_PROFILE, reduced_at_drawdown_pct: reduced!, reducing_only_at_drawdown_pct: reducingOnly!, halted_at_drawdown_pct: halted! };
};

test('tierOf is tierFor: random profiles and drawdowns, and the thresholds themselves +- one unit of the 4th digit', () => {
  fc.assert(fc.property(pctText, pctText, pctText, fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 6 })), { maxLength: 20 }), (a, b, c, dds) => {
    const p = profileOf(a, b, c);
    const drawdowns = dds.map(([u, s]) => Decimal.of(BigInt(u), s));
    for (const t of [p.reduced_at_drawdown_pct, p.reducing_only_at_drawdown_pct, p.halted_at_drawdown_pct]) {
      const at4 = t.round(4, 'down');
      drawdowns.push(at4, at4.add(Decimal.of(1n, 4)), at4.sub(Decimal.of(1n, 4)).max(Decimal.ZERO), t);
    }
    for (const d of drawdowns) assert.equal(tierOf(p, d), tierFor(p, d), `${a}/${b}/${c} at ${d.toString()} (scale ${d.scale})`);
  }), { numRuns: 500 });
});

test('tierOf follows a change of profile (and back)', () => {
  const strict = profileOf('1', '2', '3');
  const d = Decimal.of(25_000n, 4); // 2.5 %
  assert.equal(tierOf(DEFAULT_RISK_PROFILE, d), 'normal');
  assert.equal(tierOf(strict, d), 'reducing_only');
  assert.equal(tierOf(DEFAULT_RISK_PROFILE, d), 'normal');
  assert.equal(tierOf(profileOf('0.12345', '2.5', '2.50001'), d), 'reducing_only'); // 5-digit thresholds: tierFor itself
});
