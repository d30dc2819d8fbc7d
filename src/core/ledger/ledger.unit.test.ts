/**
 * Ledger tests: FIFO realization worked by hand, fee allocation without loss, and a fast-check
 * property: random streams of buys and sells never break the invariants, and cash always equals
 * an independent recomputation from the fills alone (deposits - buy costs - fees + proceeds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../../test/support/property.js';
import { Decimal } from '../money/decimal.js';
import { applyLedgerEvent, checkLedger, emptyLedger, LedgerError, planDeposit, planFill, positionQty, type LedgerEvent, type LedgerFill, type LedgerState } from './index.js';

const D = (s: string) => Decimal.parse(s);

function apply(s: LedgerState, events: LedgerEvent[]): LedgerState {
  for (const e of events) s = applyLedgerEvent(s, e);
  checkLedger(s);
  return s;
}

function fill(id: number, side: 'buy' | 'sell', qty: string, price: string, fee: string): LedgerFill {
  return { fill_id: `F${id}`, symbol: 'BTC/USD', side, qty: D(qty), price: D(price), fee: D(fee), time_ms: id * 1000 };
}

test('FIFO: a sell consumes the oldest lot first and realizes P&L per lot, fees included', () => {
  let s = apply(emptyLedger(), planDeposit(emptyLedger(), D('10000'), 'init'));
  s = apply(s, planFill(s, fill(1, 'buy', '1', '100', '0.4'), 5)); // lot 1: 1 @ 100, fee 0.4
  s = apply(s, planFill(s, fill(2, 'buy', '1', '200', '0.8'), 5)); // lot 2: 1 @ 200, fee 0.8
  assert.equal(s.cash.toString(), '9698.8'); // 10000 - 100 - 0.4 - 200 - 0.8
  const sell = planFill(s, fill(3, 'sell', '1.5', '300', '1.8'), 5);
  const consumed = sell.filter((e) => e.type === 'lot.consumed').map((e) => e.payload as { lot_id: string; qty: string; realized_pnl: string; entry_fee: string; exit_fee: string });
  assert.deepEqual(consumed.map((c) => [c.lot_id, c.qty]), [['L1', '1'], ['L2', '0.5']]);
  // lot 1: (300-100)*1 - 0.4 entry - 1.8*(1/1.5)=1.2 exit = 198.4
  assert.equal(consumed[0]?.realized_pnl, '198.4');
  // lot 2 half: (300-200)*0.5 - 0.4 (half of 0.8) - 0.6 (the rest of the exit fee) = 49
  assert.equal(consumed[1]?.realized_pnl, '49');
  s = apply(s, sell);
  assert.equal(positionQty(s, 'BTC/USD').toString(), '0.5');
  assert.equal(s.trades_closed, 0, 'position still open: no trade closed');
  s = apply(s, planFill(s, fill(4, 'sell', '0.5', '100', '0.2'), 5));
  assert.equal(s.trades_closed, 1);
  // all flat: realized = proceeds - costs - fees = (450 + 50) - 300 - (0.4+0.8+1.8+0.2)
  assert.equal(s.realized_total.toString(), '196.8');
  assert.equal(s.cash.toString(), '10196.8');
  assert.equal(s.fees_total.toString(), '3.2');
});

test('a sell of more than is held, or a buy beyond cash, is refused (no shorting, no leverage)', () => {
  let s = apply(emptyLedger(), planDeposit(emptyLedger(), D('100'), 'init'));
  assert.throws(() => planFill(s, fill(1, 'sell', '0.1', '10', '0'), 5), LedgerError);
  assert.throws(() => planFill(s, fill(2, 'buy', '1', '100', '0.01'), 5), /below zero/);
  s = apply(s, planFill(s, fill(3, 'buy', '1', '99', '0.5'), 5));
  assert.throws(() => planFill(s, fill(4, 'sell', '1.00000001', '10', '0'), 5), /no shorting/);
});

test('applying events out of FIFO order or with a wrong balance is refused', () => {
  let s = apply(emptyLedger(), planDeposit(emptyLedger(), D('1000'), 'init'));
  const bad: LedgerEvent = { type: 'cash.posted', payload: { line: 2, kind: 'fee', amount: '-1', balance: '998', ref: 'x' } };
  assert.throws(() => applyLedgerEvent(s, bad), /balance/);
  s = apply(s, planFill(s, fill(1, 'buy', '1', '10', '0'), 5));
  s = apply(s, planFill(s, fill(2, 'buy', '1', '20', '0'), 5));
  const wrong: LedgerEvent = { type: 'lot.consumed', payload: { lot_id: 'L2', symbol: 'BTC/USD', fill_id: 'F3', qty: '1', entry_price: '20', exit_price: '20', entry_fee: '0', exit_fee: '0', realized_pnl: '0', qty_left: '0' } };
  assert.throws(() => applyLedgerEvent(s, wrong), /FIFO/);
});

const op = fc.record({
  buy: fc.boolean(),
  qtyUnits: fc.integer({ min: 1, max: 5_000_000_000 }), // up to 50 BTC in satoshis
  priceTenths: fc.integer({ min: 1, max: 1_000_000 }), // 0.1 .. 100000.0
  feeBps: fc.integer({ min: 0, max: 100 }),
  share: fc.integer({ min: 1, max: 100 }), // sells: percent of the position
});

test('property: random order streams never break the ledger invariants; cash equals an independent recomputation', () => {
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 10_000_000 }), (ops, cashUnits) => {
    let s = emptyLedger();
    s = apply(s, planDeposit(s, Decimal.of(cashUnits), 'init'));
    let expectedCash = Decimal.of(cashUnits);
    let expectedPos = Decimal.ZERO;
    let n = 0;
    for (const o of ops) {
      const price = Decimal.of(o.priceTenths, 1);
      const held = positionQty(s, 'BTC/USD');
      let qty = o.buy ? Decimal.of(o.qtyUnits, 8) : held.mul(Decimal.of(o.share)).div(Decimal.of(100), 8, 'down');
      const feeOf = (q: Decimal) => price.mul(q).mul(Decimal.of(o.feeBps)).div(Decimal.of(10_000), 5, 'half_even');
      if (o.buy) {
        // clamp to cash like the engine does (spot: never borrow)
        while (qty.isPositive() && price.mul(qty).add(feeOf(qty)).gt(s.cash)) qty = qty.div(Decimal.of(2), 8, 'down');
      }
      if (!qty.isPositive()) continue;
      const f = { fill_id: `F${++n}`, symbol: 'BTC/USD', side: o.buy ? 'buy' as const : 'sell' as const, qty, price, fee: feeOf(qty), time_ms: n };
      s = apply(s, planFill(s, f, 5));
      const cost = price.mul(qty);
      expectedCash = o.buy ? expectedCash.sub(cost).sub(f.fee) : expectedCash.add(cost).sub(f.fee);
      expectedPos = o.buy ? expectedPos.add(qty) : expectedPos.sub(qty);
      assert.ok(s.cash.eq(expectedCash), `cash ${s.cash.toString()} != recomputed ${expectedCash.toString()}`);
      assert.ok(positionQty(s, 'BTC/USD').eq(expectedPos), 'lots sum != position from fills');
      assert.ok(!s.cash.isNegative());
    }
    if (expectedPos.isZero()) {
      // flat: everything realized, so realized P&L = cash - deposits exactly
      assert.ok(s.realized_total.eq(s.cash.sub(s.deposits)), 'realized total != cash - deposits when flat');
    }
  }), { numRuns: 300 });
});

/** Every amount of a ledger state as its canonical text (what a state hash covers). */
function ledgerText(s: LedgerState): string {
  return JSON.stringify(s, (_k, v: unknown) => (v instanceof Decimal ? v.toString() : v));
}

test('an event planned here (its Decimals remembered) and the same event read back from text fold to the same ledger', () => {
  const fills = [fill(1, 'buy', '1.00000000', '100.50', '0.402000'), fill(2, 'buy', '0.3', '120', '0.1'), fill(3, 'sell', '0.7', '130.25', '0.36'), fill(4, 'sell', '0.6', '90', '0.2')];
  let planned = apply(emptyLedger(), planDeposit(emptyLedger(), D('1000'), 'init'));
  let readBack = planned;
  for (const f of fills) {
    const events = planFill(planned, f, 8);
    planned = apply(planned, events);
    readBack = apply(readBack, JSON.parse(JSON.stringify(events)) as LedgerEvent[]); // new payload objects: parsed
    assert.equal(ledgerText(planned), ledgerText(readBack), f.fill_id);
  }
  assert.equal(planned.trades_closed, 1);
});
