/**
 * tierOf (./tick.ts: the per-tick tier) is the tier of the EXACT drawdown, (peak - equity) / peak x
 * 100, whatever the recorded drawdown_pct (half-even to 4 digits) rounds it to: for random profiles
 * (thresholds of up to 6 digits; past 4 it compares exactly every time) and random books, and for
 * books built to sit just under, at and just over each threshold (where the rounded drawdown equals
 * the threshold and the exact one does not), and when profiles alternate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import { DEFAULT_RISK_PROFILE, type RiskProfile, type Tier } from '../risk/profile.js';
import { drawdownPct, tierOf } from './tick.js';

const HUNDRED = Decimal.of(100);
const pctText = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([i, d, f]) => (d === 0 ? String(i) : `${i}.${String(f).padStart(6, '0').slice(0, d)}`));
const profileOf = (a: string, b: string, c: string): RiskProfile => {
  const [reduced, reducingOnly, halted] = [a, b, c].map((x) => Decimal.parse(x)).sort((x, y) => x.cmp(y));
  return { ...DEFAULT_RISK_PROFILE, reduced_at_drawdown_pct: reduced!, reducing_only_at_drawdown_pct: reducingOnly!, halted_at_drawdown_pct: halted! };
};
/** The definition, by cross-multiplication (no division, no rounding). */
function oracle(p: RiskProfile, peak: Decimal, equity: Decimal): Tier {
  const reached = (t: Decimal): boolean => peak.sub(equity).mul(HUNDRED).gte(t.mul(peak));
  return reached(p.halted_at_drawdown_pct) ? 'halted' : reached(p.reducing_only_at_drawdown_pct) ? 'reducing_only' : reached(p.reduced_at_drawdown_pct) ? 'reduced' : 'normal';
}
const tierAt = (p: RiskProfile, peak: Decimal, equity: Decimal): Tier => tierOf(p, drawdownPct(peak, equity), peak, equity);

test('tierOf is the tier of the exact drawdown: random books, and books just under, at and just over each threshold', () => {
  const money = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: 0, max: 12 })).map(([u, s]) => Decimal.of(u, s));
  fc.assert(fc.property(pctText, pctText, pctText, money, fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 12 })), { maxLength: 12 }), (a, b, c, peak, falls) => {
    const p = profileOf(a, b, c);
    const equities = falls.map(([u, s]) => peak.sub(Decimal.of(u, s)).max(Decimal.ZERO));
    for (const t of [p.reduced_at_drawdown_pct, p.reducing_only_at_drawdown_pct, p.halted_at_drawdown_pct]) {
      const at = peak.sub(peak.mul(t).div(HUNDRED, 30, 'down')); // the equity where the drawdown is t (to 30 digits)
      for (const nudge of ['0', '0.000000000001', '-0.000000000001', '0.0000001', '-0.0000001']) equities.push(at.add(peak.mul(Decimal.parse(nudge))).max(Decimal.ZERO).min(peak));
    }
    equities.push(peak, Decimal.ZERO);
    for (const e of equities) assert.equal(tierAt(p, peak, e), oracle(p, peak, e), `${a}/${b}/${c}: peak ${peak.toString()}, equity ${e.toString()} (drawdown_pct ${drawdownPct(peak, e).toString()})`);
  }), { numRuns: 300 });
});

test('a drawdown that rounds to a threshold has not reached it (the reference book at 99.99995 %: still normal)', () => {
  const p = profileOf('100', '100', '100');
  const peak = Decimal.parse('32964.649676093564295'); // a real run's peak (sma-cross 3/7 on the BTC/USD hourly file)
  const equity = Decimal.parse('0.0166002');
  assert.equal(drawdownPct(peak, equity).toString(), '99.9999');
  const tiny = Decimal.parse('0.0002');
  assert.equal(drawdownPct(peak, tiny).toString(), '100', 'recorded as 100 (half-even to 4 digits)');
  assert.equal(tierAt(p, peak, tiny), 'normal', 'but the exact drawdown is under 100 %');
  assert.equal(tierAt(p, peak, Decimal.ZERO), 'halted', 'everything lost is 100 %');
});

test('tierOf follows a change of profile (and back)', () => {
  const strict = profileOf('1', '2', '3');
  const peak = Decimal.of(1000n);
  const equity = Decimal.of(975n); // 2.5 %
  assert.equal(tierAt(DEFAULT_RISK_PROFILE, peak, equity), 'normal');
  assert.equal(tierAt(strict, peak, equity), 'reducing_only');
  assert.equal(tierAt(DEFAULT_RISK_PROFILE, peak, equity), 'normal');
  assert.equal(tierAt(profileOf('0.12345', '2.5', '2.50001'), peak, equity), 'reducing_only'); // 5-digit thresholds: compared exactly
});
