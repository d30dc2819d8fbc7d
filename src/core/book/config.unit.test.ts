/**
 * Book config resolution: fee tiers chosen by 30-day volume (values from the recorded Kraken
 * payloads), risk overrides, pair facts, and refusals that name the offending field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BookConfigError, resolveBook, type BookConfigInput } from './index.js';

const base: BookConfigInput = {
  book_id: 'cfg', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }], sizing: { mode: 'pct_equity', pct: '10' }, initial_cash: '1000',
};
const fees = (f: BookConfigInput['fees']) => {
  const b = resolveBook({ ...base, fees: f });
  return [b.fees.id, b.fees.taker_pct.toString(), b.fees.maker_pct.toString()];
};

test('fees: default is Kraken 2025 lowest tier; volume selects the tier; overrides apply', () => {
  assert.deepEqual(fees(undefined), ['kraken_2025@0', '0.4', '0.25']);
  assert.deepEqual(fees({ schedule: 'kraken_2025', volume_30d: '9999.99' }), ['kraken_2025@0', '0.4', '0.25']);
  assert.deepEqual(fees({ schedule: 'kraken_2025', volume_30d: '10000' }), ['kraken_2025@10000', '0.35', '0.2']);
  assert.deepEqual(fees({ schedule: 'kraken_2020', volume_30d: '0' }), ['kraken_2020@0', '0.26', '0.16']);
  assert.deepEqual(fees({ schedule: 'kraken_2020', volume_30d: '12000000' }), ['kraken_2020@10000000', '0.1', '0']);
  assert.deepEqual(fees({ schedule: 'kraken_2025', volume_30d: '0', taker_pct: '0.3' }), ['kraken_2025@0+custom', '0.3', '0.25']);
  assert.throws(() => fees({ schedule: 'binance', volume_30d: '0' }), /unknown fee schedule binance/);
  assert.throws(() => fees({ schedule: 'kraken_2025', volume_30d: '0', taker_pct: '7' }), /fees.taker_pct: at most 5/);
});

test('pairs: BTC/USD and ETH/USD facts from the 2020 AssetPairs payload; others must be given', () => {
  const b = resolveBook(base);
  const btc = b.pairs['BTC/USD'];
  const eth = b.pairs['ETH/USD'];
  assert.deepEqual([btc?.pair_decimals, btc?.lot_decimals, btc?.ordermin?.toString()], [1, 8, '0.001']);
  assert.deepEqual([eth?.pair_decimals, eth?.lot_decimals, eth?.ordermin?.toString()], [2, 8, '0.02']);
  assert.throws(() => resolveBook({ ...base, data: { symbols: ['SOL/USD'], timeframe_s: 3600 }, skills: [{ skill: 'sma-cross', symbols: ['SOL/USD'], params: { fast: 1, slow: 2 } }] }), /no pair facts for SOL\/USD/);
  const sol = resolveBook({ ...base, data: { symbols: ['SOL/USD'], timeframe_s: 3600 }, skills: [{ skill: 'sma-cross', symbols: ['SOL/USD'], params: { fast: 1, slow: 2 } }], pairs: { 'SOL/USD': { pair_decimals: 2, lot_decimals: 8, ordermin: '0.25', costmin: '0.5', fee_decimals: 5 } } });
  assert.equal(sol.pairs['SOL/USD']?.costmin?.toString(), '0.5');
});

test('risk: any profile field can be overridden; the config hash changes with it', () => {
  const a = resolveBook(base);
  const b = resolveBook({ ...base, risk: { profile: 'default@1', overrides: { open_positions_max: 2, cooldown_bars: 0 } } });
  assert.equal(a.profile.open_positions_max, 5);
  assert.equal(b.profile.open_positions_max, 2);
  assert.equal(b.profile.cooldown_bars, 0);
  assert.notEqual(a.config_hash, b.config_hash);
  assert.equal(resolveBook(base).config_hash, a.config_hash);
  assert.throws(() => resolveBook({ ...base, risk: { profile: 'default@1', overrides: { max_leverage: 2 } as never } }), /risk.overrides/);
});

test('refusals name the field: skill params, one skill per symbol, symbols outside data, bad sizing', () => {
  const err = (c: unknown) => { try { resolveBook(c); } catch (e) { assert.ok(e instanceof BookConfigError); return e.message; } return 'no error'; };
  assert.match(err({ ...base, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 30, slow: 10 } }] }), /skills\[0\]\.params: .*fast must be < slow/);
  assert.match(err({ ...base, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 1, slow: 2 } }, { skill: 'rsi-reversion', symbols: ['BTC/USD'] }] }), /traded by both/);
  assert.match(err({ ...base, skills: [{ skill: 'sma-cross', symbols: ['XRP/USD'], params: { fast: 1, slow: 2 } }] }), /not in data.symbols/);
  assert.match(err({ ...base, sizing: { mode: 'pct_equity', pct: '150' } }), /sizing.pct: at most 100/);
  assert.match(err({ ...base, initial_cash: 1000 }), /initial_cash/);
});

test('execution: participation_pct_max defaults to 10, null = no volume cap (then no impact), at most 100; fee_decimals up to 24', () => {
  assert.equal(resolveBook(base).execution.participation_pct_max?.toString(), '10');
  assert.equal(resolveBook({ ...base, execution: { slippage_bps: '0' } }).execution.participation_pct_max?.toString(), '10');
  assert.equal(resolveBook({ ...base, execution: { participation_pct_max: null } }).execution.participation_pct_max, null);
  assert.throws(() => resolveBook({ ...base, execution: { participation_pct_max: '100.5' } }), /participation_pct_max must be <= 100/);
  assert.throws(() => resolveBook({ ...base, execution: { participation_pct_max: null, impact_bps_per_volume_pct: '1' } }), /impact_bps_per_volume_pct must be 0 when participation_pct_max is null/);
  const pairs = { 'BTC/USD': { pair_decimals: 12, lot_decimals: 8, ordermin: null, costmin: null, fee_decimals: 24 } };
  assert.equal(resolveBook({ ...base, data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, pairs }).pairs['BTC/USD']?.fee_decimals, 24);
  assert.throws(() => resolveBook({ ...base, pairs: { 'BTC/USD': { ...pairs['BTC/USD'], fee_decimals: 25 } } }), /fee_decimals/);
});
