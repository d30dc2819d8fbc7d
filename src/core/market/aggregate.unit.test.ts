/**
 * Aggregation and resampling against Kraken's own numbers: the recorded nautilus REST trades
 * aggregated to 1-minute candles must equal the recorded REST OHLC for every minute the trades
 * fully cover; resampling the real Q1 2023 files must equal Kraken's coarser files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decimal } from '../money/decimal.js';
import { aggregateTrades, resample, type Trade } from './aggregate.js';
import type { Candle } from './candle.js';
import { parseAssetPairs } from './pairs.js';
import { EXTERNAL_DATA_DIR } from '../../../test/support/market-data.js';

const P = join(EXTERNAL_DATA_DIR, 'kraken-payloads');
const json = (f: string) => JSON.parse(readFileSync(join(P, f), 'utf8')) as { result: Record<string, unknown[]> };

function usFromSeconds(t: number): number {
  const [s, f = ''] = String(t).split('.');
  return Number(s) * 1_000_000 + Number((f + '000000').slice(0, 6));
}

function restCandle(r: unknown[]): Candle {
  return {
    symbol: 'BTC/USDT', interval_s: 60, open_time_ms: (r[0] as number) * 1000,
    open: Decimal.parse(r[1] as string), high: Decimal.parse(r[2] as string), low: Decimal.parse(r[3] as string), close: Decimal.parse(r[4] as string),
    vwap: Decimal.parse(r[5] as string), volume: Decimal.parse(r[6] as string), count: r[7] as number,
  };
}

const show = (c: Candle) => [c.open_time_ms, c.open, c.high, c.low, c.close, c.volume, c.vwap, c.count].map(String).join(' ');

test('nautilus trades -> 1m candles equal Kraken REST OHLC for every fully covered minute (vwap truncated to pair_decimals)', () => {
  const pairs = parseAssetPairs(json('nautilus_http_asset_pairs.json'));
  const decimals = pairs.get('BTC/USDT')!.pair_decimals;
  assert.equal(decimals, 1);
  const trades: Trade[] = (json('nautilus_http_trades.json').result.XBTUSDT as unknown[][]).map((r) => ({
    time_us: usFromSeconds(r[2] as number), price: Decimal.parse(r[0] as string), volume: Decimal.parse(r[1] as string),
  }));
  const mine = aggregateTrades(trades, 'BTC/USDT', 60, decimals);
  // The first minute starts mid-minute in the sample and the last may still be open: compare the rest.
  const covered = mine.slice(1, -1);
  const kraken = new Map((json('nautilus_http_ohlc.json').result.XBTUSDT as unknown[][]).map((r) => [(r[0] as number) * 1000, restCandle(r)]));
  assert.equal(covered.length, 409);
  let traded = 0;
  for (const c of covered) {
    const k = kraken.get(c.open_time_ms);
    assert.ok(k, `Kraken has a candle at ${c.open_time_ms}`);
    assert.equal(show(c), show(k!), `minute ${c.open_time_ms / 1000}`);
    if (c.count > 0) traded++;
  }
  assert.equal(traded, 272);
  assert.equal(covered.length - traded, 137); // no-trade minutes: Kraken's flat count-0 candles
});

test('vwap rounding half-even instead of truncation would NOT match Kraken (the rule is observable)', () => {
  const trades: Trade[] = [
    { time_us: 60_000_000, price: Decimal.parse('100.0'), volume: Decimal.parse('1') },
    { time_us: 60_500_000, price: Decimal.parse('100.1'), volume: Decimal.parse('2') },
  ];
  const [c] = aggregateTrades(trades, 'BTC/USD', 60, 1);
  // (100 + 200.2) / 3 = 100.0666..: truncated to 1 decimal is 100.0 (half-even would give 100.1)
  assert.equal(c!.vwap!.toString(), '100');
  assert.equal(c!.volume.toString(), '3');
  assert.equal(c!.count, 2);
});

test('out-of-order trades are refused', () => {
  assert.throws(() => aggregateTrades([
    { time_us: 120_000_000, price: Decimal.ONE, volume: Decimal.ONE },
    { time_us: 60_000_000, price: Decimal.ONE, volume: Decimal.ONE },
  ], 'BTC/USD', 60, 1), /before the previous trade/);
});

function readOhlcvt(file: string, interval_s: number): Candle[] {
  return readFileSync(join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', file), 'utf8').trim().split('\n').map((l) => {
    const f = l.split(',');
    return {
      symbol: 'BTC/USD', interval_s, open_time_ms: Number(f[0]) * 1000, open: Decimal.parse(f[1]!), high: Decimal.parse(f[2]!),
      low: Decimal.parse(f[3]!), close: Decimal.parse(f[4]!), volume: Decimal.parse(f[5]!), vwap: null, count: Number(f[6]),
    };
  });
}

for (const [from, fromS, to, toS] of [['XBTUSD_60.csv', 3600, 'XBTUSD_720.csv', 43200], ['XBTUSD_60.csv', 3600, 'XBTUSD_1440.csv', 86400], ['XBTUSD_5.csv', 300, 'XBTUSD_15.csv', 900], ['XBTUSD_15.csv', 900, 'XBTUSD_60.csv', 3600]] as const) {
  test(`resampling Kraken's ${from} to ${toS}s equals Kraken's ${to}`, () => {
    const mine = resample(readOhlcvt(from, fromS), toS);
    const kraken = readOhlcvt(to, toS);
    const byTime = new Map(kraken.map((c) => [c.open_time_ms, c]));
    let compared = 0;
    for (const c of mine) {
      const k = byTime.get(c.open_time_ms);
      if (!k) continue; // Kraken omits no-trade intervals
      // OHLC and count are exact. Volume: Kraken's hourly files round each volume to 8 decimals
      // while its 12h/1d files carry the exact sum (e.g. 1459.8115304599), so the sum of rounded
      // volumes may differ by at most half a unit of 1e-8 per input candle.
      assert.equal(show({ ...c, volume: Decimal.ZERO, vwap: null }), show({ ...k, volume: Decimal.ZERO }), `${to} @${c.open_time_ms / 1000}`);
      const inputs = toS / fromS;
      assert.ok(c.volume.sub(k.volume).abs().lte(Decimal.parse('0.000000005').mul(Decimal.of(inputs))), `${to} @${c.open_time_ms / 1000}: volume ${c.volume} vs ${k.volume}`);
      compared++;
    }
    assert.ok(compared >= kraken.length - 1, `compared ${compared} of ${kraken.length}`);
  });
}

test('resample refuses a target that is not a multiple and leaves out an incomplete last bucket', () => {
  const hourly = readOhlcvt('XBTUSD_60.csv', 3600);
  assert.throws(() => resample(hourly, 5400), /multiple of 3600s/);
  const partial = resample(hourly.slice(0, 30), 86400); // 30 hours: one full day only
  assert.equal(partial.length, 1);
});
