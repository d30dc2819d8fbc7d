/**
 * Sizing modes against big.js as an independent oracle: all-in unit cost (slippage and taker fee),
 * rounding down to lot decimals, the volatility target and its equity cap, and refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Big from 'big.js';
import { Decimal } from '../money/decimal.js';
import { decimalFromFloat, sizeEntry, unitCost, type SizingInput } from './index.js';

const D = (s: string) => Decimal.parse(s);
const input = (o: Partial<SizingInput> = {}): SizingInput => ({ price: D('20000'), equity: D('10000'), lot_decimals: 8, slippage_bps: D('10'), taker_pct: D('0.4'), atr: null, ...o });
const uc = new Big('20000').times('1.001').times('1.004'); // 20100.08
const down8 = (b: Big) => b.round(8, Big.roundDown).toString();
const qty = (r: ReturnType<typeof sizeEntry>) => (r.ok ? r.qty.toString() : r.reason);

test('unit cost = price x (1 + slippage) x (1 + taker fee), exact', () => {
  assert.equal(unitCost(D('20000'), D('10'), D('0.4')).toString(), uc.toString());
  // STORJ/USD's real close 0.18192 at 3 bps and 0.26 %: 14 decimals, none rounded (it was 0.182447709898, up at 12)
  assert.equal(unitCost(D('0.18192'), D('3'), D('0.26')).toString(), new Big('0.18192').times('1.0003').times('1.0026').toString());
  assert.equal(unitCost(D('0.18192'), D('3'), D('0.26')).toString(), '0.1824477098976');
});

test('fixed_qty, fixed_notional, pct_equity round down to lot decimals', () => {
  assert.equal(qty(sizeEntry({ mode: 'fixed_qty', qty: D('0.123456789') }, input())), '0.12345678');
  assert.equal(qty(sizeEntry({ mode: 'fixed_notional', notional: D('1000') }, input())), down8(new Big('1000').div(uc)));
  assert.equal(qty(sizeEntry({ mode: 'pct_equity', pct: D('25') }, input())), down8(new Big('2500').div(uc)));
  // 100 % of equity fits in cash including fees and slippage
  const all = sizeEntry({ mode: 'pct_equity', pct: D('100') }, input());
  assert.ok(all.ok && all.qty.mul(all.unit_cost).lte(D('10000')));
  assert.equal(qty(sizeEntry({ mode: 'fixed_qty', qty: D('1') }, input({ lot_decimals: 0 }))), '1');
});

test('vol_target: risk_pct of equity per atr_mult ATRs, capped by pct_equity_max', () => {
  const cfg = { mode: 'vol_target' as const, risk_pct: D('1'), atr_mult: D('2'), pct_equity_max: D('100') };
  // 1 % of 10000 = 100 at risk; stop 2 x ATR 250 = 500 per unit -> 0.2
  assert.equal(qty(sizeEntry(cfg, input({ atr: 250 }))), '0.2');
  // capped at 5 % of equity: 500 / unit cost
  const capped = sizeEntry({ ...cfg, pct_equity_max: D('5') }, input({ atr: 250 }));
  assert.equal(qty(capped), down8(new Big('500').div(uc)));
  assert.ok(capped.ok && capped.detail.qty_by_risk === '0.2');
  assert.equal(qty(sizeEntry(cfg, input({ atr: null }))), 'sizing_no_atr');
  assert.equal(qty(sizeEntry(cfg, input({ atr: 0 }))), 'sizing_no_atr');
  assert.equal(qty(sizeEntry({ mode: 'fixed_notional', notional: D('0.0000001') }, input())), 'sizing_nonpositive');
});

test('decimalFromFloat: 8 decimals, half-even on the decimal text', () => {
  assert.equal(decimalFromFloat(0.1 + 0.2).toString(), '0.3');
  assert.equal(decimalFromFloat(1234.567890125).toString(), '1234.56789012');
  assert.equal(decimalFromFloat(2.5e-9).toString(), '0');
  assert.throws(() => decimalFromFloat(Infinity), /not finite: Infinity/);
});
