/**
 * The cooldown after a severe loss starts when the EXACT loss reaches severe_loss_pct of the equity
 * before the tick (loss x 100 >= pct x equity), not when loss_pct as recorded (half-even to 4 digits)
 * does. On the real BTC/USD hourly file (first 6,000 bars, sma-cross 10/30 all in): a first run
 * without cooldowns finds the first losing trade whose loss rounds UP at 4 digits; a second run with
 * severe_loss_pct set to that rounded value (and 1-bar cooldowns) must not start a cooldown for it
 * (its exact loss is under), while every trade of the second run starts one exactly when its exact
 * loss reaches it.
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

const candles: Candle[] = readFileSync(join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv'), 'utf8').split('\n').slice(0, 6000).map((line, i) => {
  const p = parseKrakenOhlcvtLine(line.trim(), `XBTUSD_60.csv:${i + 1}`, 'BTC/USD', 3600);
  if (!p.ok) throw new Error(p.violation.message);
  return { ...p.value, count: p.value.count ?? 0 };
});
const HUNDRED = Decimal.of(100);
const book = (severe: string, cooldownBars: number): BookConfigInput => ({
  book_id: 'cooldown', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
  skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30, atr_period: 9 } }], sizing: { mode: 'pct_equity', pct: '100' },
  risk: { profile: 'default@1', overrides: { asset_exposure_pct_max: '100', reduced_at_drawdown_pct: '100', reducing_only_at_drawdown_pct: '100', halted_at_drawdown_pct: '100', severe_loss_pct: severe, cooldown_bars: cooldownBars } },
  execution: { slippage_bps: '0', impact_bps_per_volume_pct: '0', participation_pct_max: null, market_expire_bars: 1 }, initial_cash: '10000',
});

/** Every losing trade of a run: its id, loss and the equity before its tick; and the trades that started a cooldown. */
function losses(cfg: BookConfigInput): { trades: { id: string; loss: Decimal; equityBefore: Decimal }[]; cooled: Set<string> } {
  const h = new BookHarness(cfg);
  h.start(candles[0]!.open_time_ms);
  const trades: { id: string; loss: Decimal; equityBefore: Decimal }[] = [];
  const cooled = new Set<string>();
  for (const c of candles) {
    const equityBefore = h.state.equity;
    for (const e of h.tick([c])) {
      if (e.type === 'trade.closed' && e.payload.realized_pnl.startsWith('-')) trades.push({ id: e.payload.trade_id, loss: Decimal.parse(e.payload.realized_pnl).neg(), equityBefore });
      if (e.type === 'risk.cooldown_started') cooled.add(e.payload.trade_id);
    }
  }
  return { trades, cooled };
}

test('a cooldown starts when the exact loss reaches severe_loss_pct, not its 4-digit rounding', () => {
  const first = losses(book('3', 0));
  assert.equal(first.cooled.size, 0, 'cooldown_bars 0: no cooldown');
  // the first losing trade whose loss % rounds UP at 4 digits (exact loss under the rounded value), such
  // that some trade reaches that value exactly (so the second run starts cooldowns too)
  let pick: { id: string; loss: Decimal; threshold: Decimal } | null = null;
  for (const t of first.trades) {
    const rounded = t.loss.percentOf(t.equityBefore, 4, 'half_even');
    const reachedBySome = first.trades.some((u) => u.loss.mul(HUNDRED).gte(rounded.mul(u.equityBefore)));
    if (rounded.mul(t.equityBefore).gt(t.loss.mul(HUNDRED)) && reachedBySome) {
      pick = { id: t.id, loss: t.loss, threshold: rounded };
      break;
    }
  }
  assert.ok(pick !== null, 'a losing trade whose loss rounds up exists in the data');
  // a 1-bar cooldown (the bar after the loss takes no entry): sma-cross rarely crosses up right after
  // a down-cross, so the second run makes the same trades, the picked one included (checked)
  const second = losses(book(pick.threshold.toString(), 1));
  assert.ok(second.trades.some((t) => t.id === pick.id && t.loss.eq(pick.loss)), `trade ${pick.id} is in the second run, with the same loss`);
  assert.ok(!second.cooled.has(pick.id), `trade ${pick.id}: loss rounds to ${pick.threshold.toString()} % but is under it: no cooldown`);
  for (const t of second.trades) {
    const reached = t.loss.mul(HUNDRED).gte(pick.threshold.mul(t.equityBefore));
    assert.equal(second.cooled.has(t.id), reached, `trade ${t.id}: loss ${t.loss.toString()} of ${t.equityBefore.toString()}`);
  }
  assert.ok(second.cooled.size > 0, 'some trades did start a cooldown');
});
