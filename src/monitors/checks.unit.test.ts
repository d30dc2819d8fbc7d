/**
 * The monitors' judgements at their boundaries (pure): staleness just under / over its thresholds
 * and its severity in the key, gaps from the window's start or the series' first candle, the next
 * drawdown tier of the default profile and none past halted, tick lag, feed states, and the
 * threshold limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decimal } from '../core/money/index.js';
import { DEFAULT_RISK_PROFILE } from '../core/risk/index.js';
import { drawdownNearTier, feedError, gaps, lateData, nextTier, staleData, tickLag, type BookMark } from './checks.js';
import { DEFAULT_THRESHOLDS, ThresholdError, checkThresholds } from './thresholds.js';

const H = 3_600_000;
const CTT = Date.UTC(2023, 3, 1); // the close of the last Q1-2023 hour
const btc = { symbol: 'BTC/USD', interval_s: 3600, ctt_ms: CTT, first_open_ms: Date.UTC(2023, 0, 1), last_open_ms: CTT - H };
const t = DEFAULT_THRESHOLDS;

test('given a series, when its newest close is 3 / 4 / 24 / 25 hours old, then nothing / warn / warn / critical', () => {
  assert.equal(staleData(btc, CTT + 3 * H, t), null);
  assert.equal(staleData(btc, CTT + 4 * H, t)?.key, 'stale_data:BTC/USD 3600:warn');
  assert.equal(staleData(btc, CTT + 24 * H + H - 1, t)?.severity, 'warn');
  const crit = staleData(btc, CTT + 25 * H, t)!;
  assert.deepEqual([crit.key, crit.severity, crit.series, crit.book], ['stale_data:BTC/USD 3600:critical', 'critical', 'BTC/USD 3600', null]);
  assert.deepEqual(crit.evidence, { ctt_ms: CTT, now_ms: CTT + 25 * H, age_ms: 25 * H, intervals_behind: 25 });
});

test('given recent open times, when hours are missing, then one finding per run; the series start is no gap', () => {
  const from = btc.last_open_ms - 9 * H;
  const all = Array.from({ length: 10 }, (_, i) => from + i * H);
  assert.deepEqual(gaps(btc, from, all), []);
  const holed = all.filter((_, i) => i !== 2 && i !== 3 && i !== 7);
  assert.deepEqual(gaps(btc, from, holed).map((g) => [g.key, g.evidence.missing_intervals]), [
    [`gap:BTC/USD 3600:${from + 2 * H}`, 2], [`gap:BTC/USD 3600:${from + 7 * H}`, 1],
  ]);
  assert.deepEqual(gaps(btc, from, all.slice(1)).map((g) => g.evidence.first_missing_open_ms), [from], 'missing at the window start');
  const young = { ...btc, first_open_ms: from + 4 * H };
  assert.deepEqual(gaps(young, from, all.slice(4)), [], 'before the first candle is not a gap');
});

test('given the default profile (10 / 20 / 30 %), when the drawdown nears the next tier, then it is suggested; halted has no next tier', () => {
  const mark = (dd: string, tier: BookMark['tier']): BookMark => ({ book: 'main', seq: 9, time_ms: CTT, drawdown_pct: Decimal.parse(dd), tier, equity: '9000', peak_equity: '10000' });
  assert.equal(drawdownNearTier(mark('7.99', 'normal'), DEFAULT_RISK_PROFILE, 'default@1', t), null);
  const near = drawdownNearTier(mark('8', 'normal'), DEFAULT_RISK_PROFILE, 'default@1', t)!;
  assert.deepEqual([near.key, near.severity, near.evidence.distance_pct], ['drawdown_near_tier:main:reduced', 'warn', '2']);
  assert.equal(drawdownNearTier(mark('28.5', 'reducing_only'), DEFAULT_RISK_PROFILE, 'default@1', t)?.severity, 'critical');
  assert.equal(nextTier(DEFAULT_RISK_PROFILE, 'halted'), null);
  assert.equal(drawdownNearTier(mark('35', 'halted'), DEFAULT_RISK_PROFILE, 'default@1', t), null);
});

test('given a book, when its last tick is 2 / 3 intervals behind its data, then nothing / tick_lag', () => {
  assert.equal(tickLag('main', CTT - 2 * H, CTT, 3600, t), null);
  assert.deepEqual(tickLag('main', CTT - 3 * H, CTT, 3600, t)?.evidence, { last_tick_ms: CTT - 3 * H, complete_ms: CTT, lag_ms: 3 * H, intervals_behind: 3 });
});

test('given feed states, then failed is critical, retrying warn, the rest nothing', () => {
  const s = { name: 'k', kind: 'rest-ohlc' as const, ctt_ms: null, lag_ms: null, batches: 0, candles_accepted: 0, duplicates: 0, retries: 2, last_error: 'HTTP 500', last_error_ms: 1 };
  assert.equal(feedError({ ...s, state: 'failed' })?.severity, 'critical');
  assert.equal(feedError({ ...s, state: 'retrying' })?.key, 'feed_error:k:retrying');
  for (const state of ['starting', 'running', 'catching_up', 'done', 'stopped'] as const) assert.equal(feedError({ ...s, state }), null, state);
});

test('thresholds outside their limits are refused by name (exit 64)', () => {
  assert.doesNotThrow(() => checkThresholds(t));
  assert.throws(() => checkThresholds({ ...t, stale_after_intervals: 0 }), (e: unknown) => e instanceof ThresholdError && e.exitCode === 64 && /stale_after_intervals: expected an integer 1\.\.10000, got 0/.test(e.message));
  assert.throws(() => checkThresholds({ ...t, stale_critical_after_intervals: 2 }), /must be >= stale_after_intervals/);
  assert.throws(() => checkThresholds({ ...t, drawdown_near_pct: Decimal.ZERO }), /drawdown_near_pct: expected a decimal > 0/);
  assert.throws(() => checkThresholds({ ...t, gap_lookback_intervals: 1 }), /gap_lookback_intervals/);
});

test('given a two-symbol book, when one symbol lags the other by the lateness / one hour more / has no candle, then nothing / late_data / late_data; a book that waits forever gets none', () => {
  const late = (eth: number | null) => lateData('main', { 'BTC/USD': CTT, 'ETH/USD': eth }, 3600, H);
  assert.deepEqual(late(CTT - H), [], 'exactly the lateness behind: the tick still waits');
  const f = late(CTT - 2 * H);
  assert.deepEqual(f.map((x) => [x.monitor, x.key, x.series, x.book, x.severity]), [['late_data', 'late_data:main:ETH/USD', 'ETH/USD 3600', 'main', 'warn']]);
  assert.deepEqual(f[0]!.evidence, { symbol: 'ETH/USD', ctt_ms: CTT - 2 * H, newest_ctt_ms: CTT, behind_ms: 2 * H, lateness_ms: H });
  assert.equal(late(null)[0]?.key, 'late_data:main:ETH/USD', 'never ingested');
  assert.deepEqual(lateData('main', { 'BTC/USD': CTT, 'ETH/USD': CTT - 100 * H }, 3600, null), [], 'lateness null: tick_lag speaks instead');
});
