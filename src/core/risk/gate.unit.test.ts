/**
 * Risk gate: each rule's deny or resize with its machine-readable reason, and the tier
 * thresholds. Views are built by hand so each case isolates one rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import { DEFAULT_PAIRS, type PairSpec } from '../execution/index.js';
import { DEFAULT_RISK_PROFILE, resolveRiskProfile, riskGate, runGates, tierFor, type OrderIntent, type PortfolioView, type IntentGate } from './index.js';

const D = (s: string) => Decimal.parse(s);
const BTC = DEFAULT_PAIRS['BTC/USD'] as PairSpec;
const gate = riskGate(DEFAULT_RISK_PROFILE);
const intent = (o: Partial<OrderIntent> = {}): OrderIntent => ({
  intent_id: 'I1', symbol: 'BTC/USD', side: 'buy', type: 'market', qty: D('0.1'), limit_price: null, stop_price: null, unit_cost: D('20000'), ref_price: D('20000'), ...o,
});
const view = (o: Partial<PortfolioView> = {}): PortfolioView => ({
  equity: D('10000'), free_cash: D('10000'), tier: 'normal', cooldown_active: false, exposure: {}, held_qty: () => Decimal.ZERO, open_symbols: [], ...o,
});
const codes = (v: { reasons: readonly { code: string }[] }) => v.reasons.map((r) => r.code);

test('allow: a buy within caps and cash', () => {
  const v = gate.check(intent(), view(), BTC);
  assert.equal(v.outcome, 'allow');
  assert.equal(v.qty.toString(), '0.1');
});

test('deny would_need_leverage: cost incl. fees and slippage above free cash (never resized into it)', () => {
  const v = gate.check(intent({ qty: D('0.2'), unit_cost: D('20090') }), view({ free_cash: D('4000') }), BTC);
  assert.equal(v.outcome, 'deny');
  assert.deepEqual(codes(v), ['would_need_leverage']);
  assert.equal(v.qty.toString(), '0');
});

test('caps: resize to the room left; deny when there is no room', () => {
  // asset cap 50 % of 10000 = 5000; 0.3 BTC at 20000 = 6000 -> fits 5000 / unit cost 20000 = 0.25
  const r = gate.check(intent({ qty: D('0.3') }), view(), BTC);
  assert.equal(r.outcome, 'resize');
  assert.deepEqual(codes(r), ['asset_exposure_cap']);
  assert.equal(r.qty.toString(), '0.25');
  const d = gate.check(intent(), view({ exposure: { 'BTC/USD': D('5000') }, open_symbols: ['BTC/USD'] }), BTC);
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(codes(d), ['asset_exposure_cap']);
  const total = gate.check(intent({ qty: D('0.1') }), view({ exposure: { 'ETH/USD': D('9000') }, open_symbols: ['ETH/USD'] }), BTC);
  assert.deepEqual(codes(total), ['total_exposure_cap']);
  assert.equal(total.qty.toString(), '0.05'); // room 1000 / 20000
});

test('tiers: halted denies everything, reducing_only denies buys but allows sells, reduced halves buys', () => {
  assert.deepEqual(codes(gate.check(intent(), view({ tier: 'halted' }), BTC)), ['tier_halted']);
  assert.deepEqual(codes(gate.check(intent({ side: 'sell' }), view({ tier: 'halted', held_qty: () => D('1') }), BTC)), ['tier_halted']);
  assert.deepEqual(codes(gate.check(intent(), view({ tier: 'reducing_only' }), BTC)), ['tier_reducing_only']);
  const sell = gate.check(intent({ side: 'sell', qty: D('0.5') }), view({ tier: 'reducing_only', held_qty: () => D('1') }), BTC);
  assert.equal(sell.outcome, 'allow');
  const red = gate.check(intent(), view({ tier: 'reduced' }), BTC);
  assert.equal(red.outcome, 'resize');
  assert.deepEqual(codes(red), ['tier_reduced_size']);
  assert.equal(red.qty.toString(), '0.05');
});

test('no shorting, open positions max, cooldown, pair minimums', () => {
  assert.deepEqual(codes(gate.check(intent({ side: 'sell' }), view(), BTC)), ['no_position']);
  const clamped = gate.check(intent({ side: 'sell', qty: D('2') }), view({ held_qty: () => D('1') }), BTC);
  assert.deepEqual([clamped.outcome, clamped.qty.toString(), ...codes(clamped)], ['resize', '1', 'sell_clamped_to_position']);
  const p = resolveRiskProfile('default@1', { open_positions_max: 1 });
  assert.deepEqual(codes(riskGate(p).check(intent(), view({ open_symbols: ['ETH/USD'], exposure: { 'ETH/USD': D('1') } }), BTC)), ['open_positions_max']);
  assert.deepEqual(codes(gate.check(intent(), view({ cooldown_active: true }), BTC)), ['cooldown_active']);
  assert.deepEqual(codes(gate.check(intent({ qty: D('0.0009') }), view(), BTC)), ['below_min_qty']); // ordermin 0.001
  // a full close below the minimum is allowed (you can always get out)
  assert.equal(gate.check(intent({ side: 'sell', qty: D('0.0005') }), view({ held_qty: () => D('0.0005') }), BTC).outcome, 'allow');
});

test('tierFor: thresholds are inclusive lower bounds; overrides apply; disordered tiers are refused', () => {
  const p = DEFAULT_RISK_PROFILE; // 10 / 20 / 30
  assert.deepEqual(['0', '9.9999', '10', '19.99', '20', '29.9', '30', '99'].map((x) => tierFor(p, D(x))),
    ['normal', 'normal', 'reduced', 'reduced', 'reducing_only', 'reducing_only', 'halted', 'halted']);
  const q = resolveRiskProfile('default@1', { reduced_at_drawdown_pct: '2', reducing_only_at_drawdown_pct: '4', halted_at_drawdown_pct: '6' });
  assert.equal(tierFor(q, D('5')), 'reducing_only');
  assert.throws(() => resolveRiskProfile('default@1', { reduced_at_drawdown_pct: '40' }), /ordered/);
});

test('runGates: stops at the first deny and refuses a gate that enlarges an order', () => {
  const denyAll: IntentGate = { id: 'policy', check: () => ({ gate: 'policy', outcome: 'deny', qty: Decimal.ZERO, reasons: [{ code: 'policy_says_no', detail: '' }] }) };
  const never: IntentGate = { id: 'never', check: () => { throw new Error('must not run after a deny'); } };
  const vs = runGates([gate, denyAll, never], intent(), view(), BTC);
  assert.deepEqual(vs.map((v) => v.outcome), ['allow', 'deny']);
  const grow: IntentGate = { id: 'grow', check: (i) => ({ gate: 'grow', outcome: 'resize', qty: i.qty.add(Decimal.ONE), reasons: [] }) };
  assert.throws(() => runGates([grow], intent(), view(), BTC), /enlarged/);
});
