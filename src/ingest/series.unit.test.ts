/** Which series a file holds: from the options, else its name; both given, they must agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestInputError } from './errors.js';
import { resolveSeries, SpacingCheck, SPACING_STEPS_MIN } from './series.js';
import { parseInterval } from './source.js';

test('the series comes from the options, else the file name', () => {
  assert.deepEqual(resolveSeries('/d/XBTUSD_60.csv', 'kraken-ohlcvt', {}), { symbol: 'BTC/USD', interval_s: 3600 });
  assert.deepEqual(resolveSeries('/d/XBTUSD_60.csv', 'kraken-ohlcvt', { symbol: 'XBT/USD', interval_s: 3600 }), { symbol: 'BTC/USD', interval_s: 3600 });
  assert.deepEqual(resolveSeries('/d/btc.csv', 'kraken-ohlcvt', { symbol: 'ETH/USD', interval_s: 300 }), { symbol: 'ETH/USD', interval_s: 300 });
  assert.deepEqual(resolveSeries('/d/BTCUSD_1m_20230301_20230321.csv', 'ohlcv-csv', { symbol: 'BTC/USD' }), { symbol: 'BTC/USD', interval_s: 60 });
  assert.deepEqual(resolveSeries('/d/XBTUSD.csv', 'kraken-trades', {}), { symbol: 'BTC/USD', interval_s: 60 });
});

test('a symbol or interval that contradicts the file name is refused (64), never stored under the wrong series', () => {
  const refused = (file: string, format: Parameters<typeof resolveSeries>[1], opts: { symbol?: string; interval_s?: number }, re: RegExp) =>
    assert.throws(() => resolveSeries(file, format, opts), (e: unknown) => e instanceof IngestInputError && e.exitCode === 64 && re.test(e.message));
  refused('/d/XBTUSD_60.csv', 'kraken-ohlcvt', { symbol: 'ETH/USD' }, /--symbol ETH\/USD does not match the file name XBTUSD_60\.csv \(BTC\/USD\)/);
  refused('/d/XBTUSD_60.csv', 'kraken-ohlcvt', { interval_s: 60 }, /--interval 60s does not match the file name XBTUSD_60\.csv \(3600s\)/);
  refused('/d/BTCUSD_1m_20230301_20230321.csv', 'ohlcv-csv', { symbol: 'BTC/USD', interval_s: 3600 }, /--interval 3600s does not match/);
  refused('/d/XBTUSD.csv', 'kraken-trades', { symbol: 'ETH/USD' }, /--symbol ETH\/USD does not match the file name XBTUSD\.csv/);
});

test('--interval: whole minutes from 1 minute to 15 days, else 64 naming it (an integer column never overflows)', () => {
  assert.equal(parseInterval('1h'), 3600);
  assert.equal(parseInterval('15d'), 1_296_000);
  for (const bad of ['999999w', '16d', '30s', '0', '90', '1.5h', '-1h', ' 1h', '', '1y']) {
    assert.throws(() => parseInterval(bad), (e: unknown) => e instanceof IngestInputError && e.exitCode === 64 && e.message.startsWith(`--interval ${JSON.stringify(bad)}`), bad);
  }
  // An interval a file implies is checked too: a generic file named _9999d_ (65: the file, not an option).
  assert.throws(() => resolveSeries('/d/BTCUSD_9999d_x.csv', 'ohlcv-csv', { symbol: 'BTC/USD' }), (e: unknown) => e instanceof IngestInputError && e.exitCode === 65 && /interval 863913600s is outside/.test(e.message));
});

test('SpacingCheck: a file whose first 64 steps are all longer than one interval is not at that interval', () => {
  const hourlyAs1m = new SpacingCheck(60);
  const said: (string | null)[] = [];
  for (let i = 0; i <= SPACING_STEPS_MIN + 5; i++) said.push(hourlyAs1m.observe(i * 3_600_000));
  assert.equal(said.filter((x) => x !== null).length, 1, 'said once');
  assert.match(said[SPACING_STEPS_MIN]!, /none of the first 64 steps between consecutive candles is 60s \(the smallest is 3600s\)/);
  // Real 1-minute data with runs of gaps (up to ~32 steps in Kraken's XBTUSDC_1.csv) passes: one exact step is enough.
  const gappy = new SpacingCheck(60);
  let t = 0;
  for (let i = 0; i < 500; i++) {
    t += i % 40 === 39 ? 60_000 : 120_000;
    assert.equal(gappy.observe(t), null);
  }
});

