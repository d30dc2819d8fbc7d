/**
 * Paper fill rules on tiny hand-built bars (each rule needs a specific bar shape): market at the
 * open with adverse slippage, limit at the limit or at a gapped open, stop on the touch,
 * participation caps leaving the rest working, and no fill on an empty bar; an observed price is
 * never rounded to the pair's tick (only computed ones are); no volume cap; the close-remainder rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../money/decimal.js';
import type { Candle } from '../market/candle.js';
import { closeRemainder, DEFAULT_PAIRS, feeFor, matchOrder, type ExecutionModel, type MatchableOrder, type PairSpec } from './index.js';

const D = (s: string) => Decimal.parse(s);
const BTC = DEFAULT_PAIRS['BTC/USD'] as PairSpec;
const bar = (o: string, h: string, l: string, c: string, v = '100', count = 10): Candle => ({
  symbol: 'BTC/USD', interval_s: 3600, open_time_ms: 0, open: D(o), high: D(h), low: D(l), close: D(c), volume: D(v), vwap: null, count,
});
const model = (slip = '10', part: string | null = '100', impact = '0'): ExecutionModel => ({ slippage_bps: D(slip), participation_pct_max: part === null ? null : D(part), impact_bps_per_volume_pct: D(impact) });
const show = (m: ReturnType<typeof matchOrder>) => (m === null ? null : [m.qty.toString(), m.price.toString(), m.liquidity, m.triggered_now]);
const order = (o: Partial<MatchableOrder>): MatchableOrder => ({ side: 'buy', type: 'market', remaining: D('1'), limit_price: null, stop_price: null, triggered: false, ...o });

test('market: T+1 open moved against the trader by slippage, rounded to the tick adversely', () => {
  const b = bar('20000.0', '20100', '19900', '20050');
  // buy: 20000 * 1.001 = 20020.0 ; sell: 19980.0
  assert.deepEqual(show(matchOrder(order({}), b, model(), BTC)), ['1', '20020', 'taker', false]);
  assert.equal(matchOrder(order({ side: 'sell' }), b, model(), BTC)?.price.toString(), '19980');
  // 3 bps on 20000.3 = 20006.30009 -> buy rounds up to 20006.4, sell 19994.29991 -> down to 19994.2
  const odd = bar('20000.3', '20100', '19900', '20050');
  assert.equal(matchOrder(order({}), odd, model('3'), BTC)?.price.toString(), '20006.4');
  assert.equal(matchOrder(order({ side: 'sell' }), odd, model('3'), BTC)?.price.toString(), '19994.2');
});

test('market at 0 bps: exactly the open, never rounded to today\'s tick (an old open with 5 decimals was a real trade)', () => {
  const old = bar('122.12345', '123', '121', '122.5');
  assert.deepEqual(show(matchOrder(order({}), old, model('0'), BTC)), ['1', '122.12345', 'taker', false]);
  assert.equal(matchOrder(order({ side: 'sell' }), old, model('0'), BTC)?.price.toString(), '122.12345');
  // a computed price still rounds against the trader: 1 bps on 122.12345 = 122.1356623.. -> buy 122.2, sell 122.1
  assert.equal(matchOrder(order({}), old, model('1'), BTC)?.price.toString(), '122.2');
  assert.equal(matchOrder(order({ side: 'sell' }), old, model('1'), BTC)?.price.toString(), '122.1');
  // a stop that gaps through fills at the open as it is; one touched intra-bar at its own (already on-tick) price
  const stop = order({ side: 'sell', type: 'stop', stop_price: D('120') });
  assert.equal(matchOrder(stop, bar('119.98765', '120', '119', '119.5'), model('0'), BTC)?.price.toString(), '119.98765');
  assert.equal(matchOrder(stop, bar('121.55555', '122', '119', '119.5'), model('0'), BTC)?.price.toString(), '120');
  // a limit gapped through fills at the open as it is
  const limit = order({ type: 'limit', limit_price: D('122.2') });
  assert.equal(matchOrder(limit, old, model('0'), BTC)?.price.toString(), '122.12345');
});

test('market: optional impact adds bps per percent of the bar volume taken', () => {
  // qty 1 of volume 10 = 10 % ; 2 bps per % -> 20 bps + 0 base: 10000 * 1.002 = 10020
  const b = bar('10000', '10100', '9900', '10000', '10');
  assert.equal(matchOrder(order({}), b, model('0', '100', '2'), BTC)?.price.toString(), '10020');
});

test('limit: fills at the limit when traded through (maker), at the open when it gaps through (taker)', () => {
  const buy = order({ type: 'limit', limit_price: D('19950') });
  assert.deepEqual(show(matchOrder(buy, bar('20000', '20100', '19900', '20050'), model(), BTC)), ['1', '19950', 'maker', false]);
  assert.deepEqual(show(matchOrder(buy, bar('19800', '19900', '19700', '19850'), model(), BTC)), ['1', '19800', 'taker', false]);
  assert.equal(matchOrder(buy, bar('20000', '20100', '19951', '20050'), model(), BTC), null, 'low above the limit: no fill');
  const sell = order({ side: 'sell', type: 'limit', limit_price: D('20080') });
  assert.equal(matchOrder(sell, bar('20000', '20100', '19900', '20050'), model(), BTC)?.price.toString(), '20080');
  assert.equal(matchOrder(sell, bar('20200', '20300', '20100', '20250'), model(), BTC)?.price.toString(), '20200');
});

test('stop: triggers on the touch and fills like a market order from the worse of open and stop', () => {
  const sellStop = order({ side: 'sell', type: 'stop', stop_price: D('19000') });
  assert.equal(matchOrder(sellStop, bar('20000', '20100', '19001', '19500'), model(), BTC), null, 'not touched');
  const touched = matchOrder(sellStop, bar('20000', '20100', '18900', '19500'), model(), BTC);
  assert.deepEqual(show(touched), ['1', '18981', 'taker', true]); // 19000 * 0.999
  const gapped = matchOrder(sellStop, bar('18500', '18600', '18400', '18500'), model(), BTC);
  assert.equal(gapped?.price.toString(), '18481.5'); // 18500 * 0.999
  const already = matchOrder({ ...sellStop, triggered: true }, bar('20000', '20100', '19900', '20000'), model(), BTC);
  assert.equal(already?.triggered_now, false);
  assert.equal(already?.price.toString(), '19980');
});

test('participation cap: at most a share of the bar volume fills; an empty bar fills nothing', () => {
  const b = bar('20000', '20100', '19900', '20050', '3.333333339');
  const m = matchOrder(order({ remaining: D('5') }), b, model('0', '10'), BTC);
  assert.equal(m?.qty.toString(), '0.33333333'); // 10 % of 3.333333339, rounded down to 8 decimals
  assert.equal(matchOrder(order({}), bar('20000', '20000', '20000', '20000', '0', 0), model(), BTC), null);
  const stopEmpty = matchOrder(order({ type: 'stop', stop_price: D('19000') }), bar('20000', '20000', '20000', '20000', '0', 0), model(), BTC);
  assert.equal(stopEmpty?.qty.toString(), '0');
  assert.equal(stopEmpty?.triggered_now, true, 'a stop that is touched triggers even if nothing can fill');
});

test('no volume cap (null): the whole order fills on any bar, a bar with no volume included (at its open)', () => {
  const thin = bar('20000', '20100', '19900', '20050', '0.1');
  assert.equal(matchOrder(order({ remaining: D('5') }), thin, model('0', null), BTC)?.qty.toString(), '5');
  assert.equal(matchOrder(order({ remaining: D('5') }), thin, model('0', '10'), BTC)?.qty.toString(), '0.01');
  const empty = bar('20000.05', '20000.05', '20000.05', '20000.05', '0', 0);
  assert.deepEqual(show(matchOrder(order({ remaining: D('2') }), empty, model('0', null), BTC)), ['2', '20000.05', 'taker', false]);
  assert.equal(matchOrder(order({}), empty, model('0', '100'), BTC), null, 'with a cap an empty bar still fills nothing');
  assert.throws(() => matchOrder(order({}), empty, model('0', null, '1'), BTC), /impact_bps_per_volume_pct needs a bar volume/);
});

test('close remainder: an expired sell whose remainder covers the whole position is re-placed for what is held', () => {
  const sell = (remaining: string) => ({ side: 'sell' as const, remaining: D(remaining) });
  assert.equal(closeRemainder(sell('0.7'), D('0.7'))?.toString(), '0.7', 'an exit, partly filled');
  assert.equal(closeRemainder(sell('1'), D('0.7'))?.toString(), '0.7', 'remainder above the position: sells what is held');
  assert.equal(closeRemainder(sell('0.3'), D('0.7')), null, 'a partial reduce: not a close');
  assert.equal(closeRemainder(sell('0.7'), D('0')), null, 'flat: nothing to re-place');
  assert.equal(closeRemainder({ side: 'buy', remaining: D('1') }, D('1')), null, 'buys are never re-placed');
});

test('fees: percent of cost, half-even to the fee precision', () => {
  assert.equal(feeFor(D('1234.5'), D('0.40'), 5).toString(), '4.938');
  assert.equal(feeFor(D('0.0125'), D('0.4'), 5).toString(), '0.00005'); // 0.00005 exactly
  assert.equal(feeFor(D('0.01875'), D('0.4'), 5).toString(), '0.00008'); // 0.000075 -> ties to even 0.00008
  assert.equal(feeFor(D('0.01625'), D('0.4'), 5).toString(), '0.00006'); // 0.000065 -> 0.00006
});
