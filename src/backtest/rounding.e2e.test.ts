/**
 * The reference book with Kraken's roundings switched back on, on real files, against an independent
 * plain loop written here from the README's rules (big.js, no engine code): slippage (a buy at
 * open x (1 + bps) rounded UP to the pair's price decimals, a sell rounded DOWN), fees rounded
 * half-even to fee_decimals, buys sized on the exact unit cost close x (1 + bps) x (1 + fee), a buy
 * cut at the fill to the most lots the cash pays for with the fee as charged, the pair's minimum
 * order size. Same fills (bar, side, quantity, price) and the same final value, to the last digit.
 * Found by this comparison and fixed: a unit cost rounded up to 12 decimals (a few lots short on
 * cheap pairs), a cash cut that sized with the unrounded fee (it never took the lots a fee rounded
 * down frees), and that cut walking one lot at a time (minutes per fill with whole-dollar fees).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Big from 'big.js';
import { BUNDLED_DATA_DIR, EXTERNAL_DATA_DIR } from '../../test/support/market-data.js';
import { resolveBook, type BookConfigInput } from '../core/book/index.js';
import type { NewEvent } from '../core/events/index.js';
import { runBacktest } from './run.js';
import { csvReader } from './csv.js';
import { encodingSink } from './sinks.js';

const CONFIG = JSON.parse(readFileSync(join(BUNDLED_DATA_DIR, '..', 'config', 'reference.book.json'), 'utf8')) as BookConfigInput;
interface Pair { readonly pair_decimals: number; readonly lot_decimals: number; readonly ordermin: string | null; readonly fee_decimals: number }
interface Case { readonly symbol: string; readonly file: string; readonly bps: string; readonly pair: Pair }
const CASES: Case[] = [
  { symbol: 'STORJ/USD', file: join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_misc', 'STORJUSD_60.csv'), bps: '3', pair: { pair_decimals: 5, lot_decimals: 8, ordermin: '50', fee_decimals: 5 } },
  { symbol: 'STORJ/USD', file: join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_misc', 'STORJUSD_60.csv'), bps: '0', pair: { pair_decimals: 12, lot_decimals: 8, ordermin: null, fee_decimals: 0 } },
  { symbol: 'ETH/USD', file: join(BUNDLED_DATA_DIR, 'kraken', 'ETHUSD_60.csv'), bps: '7.5', pair: { pair_decimals: 2, lot_decimals: 8, ordermin: '0.02', fee_decimals: 5 } },
];
interface Fill { readonly bar_open_ms: number; readonly side: 'buy' | 'sell'; readonly qty: string; readonly price: string }

/** The oracle: sma-cross 10/30 all in, as the reference book, with the roundings above. */
function plainLoop(csv: string, c: Case, feePct: string, initialCash: string): { fills: Fill[]; value: Big } {
  const B = Big();
  B.DP = 60;
  B.RM = Big.roundDown;
  const rows = csv.trim().split('\n').map((l) => l.trim().split(','));
  const open = rows.map((r) => B(r[1] as string));
  const close = rows.map((r) => B(r[4] as string));
  const { pair_decimals: pd, lot_decimals: ld, fee_decimals: fd } = c.pair;
  const slip = B(c.bps).div(10_000);
  const pct = B(feePct).div(100);
  const fee = (cost: Big): Big => cost.times(pct).round(fd, Big.roundHalfEven);
  const fits = (q: Big, p: Big, cash: Big): boolean => q.times(p).plus(fee(q.times(p))).lte(cash);
  let cash = B(initialCash);
  let qty = B(0);
  let last = 0;
  let pending: { side: 'buy' | 'sell'; qty: Big } | null = null;
  const fills: Fill[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (pending !== null) {
      const buy = pending.side === 'buy';
      const p = buy ? (open[i] as Big).times(slip.plus(1)).round(pd, Big.roundUp) : (open[i] as Big).times(B(1).minus(slip)).round(pd, Big.roundDown);
      let q = buy ? pending.qty : qty;
      if (buy && !fits(q, p, cash)) { // the most lots the cash pays for, fee as charged: a binary search over [0, cash / p]
        let lo = B(0);
        let hi = cash.div(p).round(ld, Big.roundDown).plus(B(1).div(B(10).pow(ld)));
        while (hi.minus(lo).gt(B(1).div(B(10).pow(ld)))) {
          const mid = lo.plus(hi).div(2).round(ld, Big.roundDown);
          if (fits(mid, p, cash)) lo = mid;
          else hi = mid;
        }
        q = lo;
      }
      if (q.gt(0)) {
        const cost = q.times(p);
        cash = buy ? cash.minus(cost).minus(fee(cost)) : cash.plus(cost).minus(fee(cost));
        qty = buy ? qty.plus(q) : qty.minus(q);
        fills.push({ bar_open_ms: Number(rows[i]![0]) * 1000, side: pending.side, qty: q.toFixed(), price: p.toFixed() });
      }
      pending = null;
    }
    if (i + 1 < 30) continue;
    const sum = (n: number): Big => close.slice(i + 1 - n, i + 1).reduce((a, x) => a.plus(x), B(0));
    const sign = sum(10).times(30).cmp(sum(30).times(10));
    if (sign !== 0 && last !== 0 && sign !== last) {
      const ci = close[i] as Big;
      if (sign > 0 && qty.eq(0)) {
        const q = cash.div(ci.times(slip.plus(1)).times(pct.plus(1))).round(ld, Big.roundDown); // all of the cash at the exact unit cost
        if (q.gt(0) && (c.pair.ordermin === null || q.gte(c.pair.ordermin))) pending = { side: 'buy', qty: q };
      }
      if (sign < 0 && qty.gt(0)) pending = { side: 'sell', qty };
    }
    if (sign !== 0) last = sign;
  }
  return { fills, value: cash.plus(qty.times(close[rows.length - 1] as Big)) };
}

for (const c of CASES) {
  test(`reference book with roundings on ${c.symbol} (slippage ${c.bps} bps, price ${c.pair.pair_decimals} decimals, fees to ${c.pair.fee_decimals}): the engine = a plain loop`, async () => {
    const skill = CONFIG.skills[0] as { skill: string; params: Record<string, unknown> };
    const cfg: BookConfigInput = {
      ...CONFIG, pairs: { [c.symbol]: { ...c.pair, costmin: null } }, data: { symbols: [c.symbol], timeframe_s: 3600 },
      skills: [{ ...skill, symbols: [c.symbol] }], execution: { ...(CONFIG.execution as object), slippage_bps: c.bps } as BookConfigInput['execution'],
    };
    const events: NewEvent[] = [];
    const run = await runBacktest(resolveBook(cfg), csvReader({ [c.symbol]: c.file }, c.file, 3600, null, null), encodingSink(events));
    const engine: Fill[] = events.filter((e) => e.type === 'fill.executed').map((e) => {
      const p = e.payload as { bar_open_time_ms: number; side: 'buy' | 'sell'; qty: string; price: string };
      return { bar_open_ms: p.bar_open_time_ms, side: p.side, qty: Big(p.qty).toFixed(), price: Big(p.price).toFixed() };
    });
    const fees = cfg.fees as { taker_pct: string };
    const oracle = plainLoop(readFileSync(c.file, 'utf8'), c, fees.taker_pct, cfg.initial_cash);
    const firstDiff = engine.findIndex((f, i) => JSON.stringify(f) !== JSON.stringify(oracle.fills[i]));
    assert.equal(firstDiff, -1, `fill #${firstDiff}: engine ${JSON.stringify(engine[firstDiff])} != loop ${JSON.stringify(oracle.fills[firstDiff])}`);
    assert.equal(engine.length, oracle.fills.length, `engine ${engine.length} fills, loop ${oracle.fills.length}`);
    assert.ok(engine.length >= 50, `only ${engine.length} fills`);
    assert.equal(run.summary.final_equity, oracle.value.toFixed(), 'final value, to the last digit');
    assert.ok(events.some((e) => e.type === 'fill.executed' && (e.payload as { clamp: string | null }).clamp === 'cash'), 'the cash cut was exercised');
  });
}
