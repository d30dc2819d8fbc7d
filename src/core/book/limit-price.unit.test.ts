/**
 * A skill's float order price becomes the order's price by ONE rounding of the value the signal
 * records (signal.emitted order.limit_price, the float's shortest text) to the pair's tick, against
 * the trader (a buy limit down). On the real BTC/USD hourly file with rsi-reversion (limit entries),
 * at 12 price decimals and at Kraken's 1: every intent's limit is the floor of its signal's. (It
 * went through toFixed(12) first: at 12 decimals 75 of 468 limits came out ABOVE the signal's, and
 * at 1 decimal a limit already on the tick lost one.) Also Decimal.ofFloat on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../market/candle.js';
import { Decimal } from '../money/decimal.js';
import { parseKrakenOhlcvtLine } from '../../ingest/parsers.js';
import { BUNDLED_DATA_DIR } from '../../../test/support/market-data.js';
import { BookHarness } from '../../../test/support/book.js';
import type { BookConfigInput } from './index.js';

const candles: Candle[] = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'utf8').trim().split('\n').slice(0, 30_000).map((line, i) => {
  const p = parseKrakenOhlcvtLine(line.trim(), `XBTUSD_60.csv:${i + 1}`, 'BTC/USD', 3600);
  if (!p.ok) throw new Error(p.violation.message);
  return { ...p.value, count: p.value.count ?? 0 };
});

for (const [decimals, offsetBps] of [[12, 10], [1, 50]] as const) {
  test(`an order's limit is the floor of its signal's recorded limit (${decimals} price decimals, rsi-reversion, real BTC/USD)`, () => {
    const cfg: BookConfigInput = {
      book_id: 'limits', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
      skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: { limit_offset_bps: offsetBps } }], sizing: { mode: 'pct_equity', pct: '50' },
      execution: { slippage_bps: '0', impact_bps_per_volume_pct: '0', participation_pct_max: null, market_expire_bars: 1 },
      pairs: { 'BTC/USD': { pair_decimals: decimals, lot_decimals: 8, ordermin: null, costmin: null, fee_decimals: 24 } }, initial_cash: '10000',
    };
    const h = new BookHarness(cfg);
    h.start(candles[0]!.open_time_ms);
    const signalLimit = new Map<string, string>();
    let checked = 0;
    for (const c of candles) {
      for (const e of h.tick([c])) {
        if (e.type === 'signal.emitted') {
          const order = e.payload.order as { limit_price: string | null } | null;
          if (order?.limit_price != null) signalLimit.set(e.payload.signal_id, order.limit_price);
        }
        if (e.type === 'intent.created' && e.payload.limit_price !== null && e.payload.signal_id !== null) {
          const recorded = signalLimit.get(e.payload.signal_id) as string;
          assert.equal(e.payload.limit_price, Decimal.parse(recorded).round(decimals, 'floor').toString(), `${e.payload.intent_id}: signal limit ${recorded}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 50, `${checked} limit intents checked`);
  });
}

test('Decimal.ofFloat is the float\'s shortest text, exactly (exponents expanded)', () => {
  assert.equal(Decimal.ofFloat(553.6736820899999).toString(), '553.6736820899999');
  assert.equal(Decimal.ofFloat(22700 * 0.999).toString(), String(22700 * 0.999));
  assert.equal(Decimal.ofFloat(1e-7).toString(), '0.0000001');
  assert.equal(Decimal.ofFloat(-0).toString(), '0');
  assert.equal(Decimal.ofFloat(1.5e21).toString(), '1500000000000000000000');
  assert.throws(() => Decimal.ofFloat(Number.NaN, 'limit'), /limit: NaN is not a finite number/);
});
