/**
 * affordableQty (./fees.ts): the most lots a buy can take, the fee as charged (half-even to
 * fee_decimals), for any cash, price, fee rate, lot and fee decimals: the answer fits and one lot
 * more does not (the total is non-decreasing in the quantity, so that is the maximum), including
 * whole-unit fees on a cheap asset (hundreds of millions of candidate lots: a search, not a walk).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import { affordableQty, feeFor } from './fees.js';

const dec = (maxUnits: bigint, maxScale: number) => fc.tuple(fc.bigInt({ min: 0n, max: maxUnits }), fc.integer({ min: 0, max: maxScale })).map(([u, s]) => Decimal.of(u, s));
const fits = (q: Decimal, price: Decimal, pct: Decimal, fd: number, cash: Decimal): boolean => {
  const cost = price.mul(q);
  return cost.add(feeFor(cost, pct, fd)).lte(cash);
};

test('affordableQty fits and one lot more does not: random cash, prices, fees, lot and fee decimals', () => {
  fc.assert(fc.property(dec(10n ** 12n, 6), dec(10n ** 10n, 8), dec(500n, 2), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 24 }), (cash, price, pct, ld, fd) => {
    const q = affordableQty(cash, price, pct, ld, fd);
    const lot = Decimal.of(1n, ld);
    assert.ok(!q.isNegative() && q.round(ld, 'down').eq(q), `${q.toString()} is a whole number of lots`);
    if (!price.isPositive()) return assert.ok(q.isZero());
    assert.ok(fits(q, price, pct, fd, cash), `${q.toString()} at ${price.toString()} +${pct.toString()} % (fee to ${fd}) fits ${cash.toString()}`);
    assert.ok(!fits(q.add(lot), price, pct, fd, cash), `${q.add(lot).toString()} does not fit ${cash.toString()} (fee to ${fd})`);
  }), { numRuns: 2000 });
});

test('affordableQty: a fee that rounds down frees lots; whole-dollar fees on a cheap asset are searched, not walked', () => {
  // 10100 USD at 0.17006 (STORJ/USD's real price in 2020) with 0.26 % fees rounded to whole dollars:
  // the exact fee of the exact-fee size is ~26.19, charged as 26, which leaves ~0.19 USD for more lots
  const cash = Decimal.parse('10100');
  const price = Decimal.parse('0.17006');
  const pct = Decimal.parse('0.26');
  const q = affordableQty(cash, price, pct, 8, 0);
  assert.ok(fits(q, price, pct, 0, cash) && !fits(q.add(Decimal.of(1n, 8)), price, pct, 0, cash), q.toString());
  const exactFeeSize = cash.div(price.mul(Decimal.parse('1.0026')), 8, 'down');
  assert.ok(q.gt(exactFeeSize), `${q.toString()} > ${exactFeeSize.toString()}: the fee rounded down (to whole dollars) pays for more lots`);
});
