/** Which series a file holds: from the options, else its name; both given, they must agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestInputError } from './errors.js';
import { resolveSeries } from './series.js';

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
