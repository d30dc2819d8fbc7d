/** arrayReader: each symbol's candles in time order and in batches, whether the input is sorted or not (real Kraken rows). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BTC_2023Q1_HOURLY, ETH_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import type { Candle } from '../core/market/candle.js';
import { arrayReader } from './run.js';

const btc = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600).slice(0, 500);
const eth = loadKrakenCsv(ETH_HOURLY, 'ETH/USD', 3600).slice(0, 300);

function readAll(read: ReturnType<typeof arrayReader>, symbol: string): { times: number[]; sizes: number[] } {
  const it = read(symbol) as Iterator<readonly Candle[]>;
  const times: number[] = [];
  const sizes: number[] = [];
  for (let r = it.next(); r.done !== true; r = it.next()) {
    sizes.push(r.value.length);
    for (const c of r.value) {
      assert.equal(c.symbol, symbol);
      times.push(c.open_time_ms);
    }
  }
  return { times, sizes };
}

test('arrayReader gives each symbol its candles in time order, in batches, from sorted and from shuffled input alike', () => {
  const sorted = [...btc, ...eth];
  // a fixed permutation (reversed, then interleaved): no randomness in a test
  const rev = [...sorted].reverse();
  const shuffled = rev.filter((_, i) => i % 2 === 0).concat(rev.filter((_, i) => i % 2 === 1));
  for (const input of [sorted, shuffled]) {
    const read = arrayReader(input, 128);
    const b = readAll(read, 'BTC/USD');
    assert.deepEqual(b.times, btc.map((c) => c.open_time_ms));
    assert.deepEqual(b.sizes, [128, 128, 128, 116]);
    assert.deepEqual(readAll(read, 'ETH/USD').times, eth.map((c) => c.open_time_ms));
    assert.deepEqual(readAll(read, 'XRP/USD').times, []);
  }
});
