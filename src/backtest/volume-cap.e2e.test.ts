/**
 * The reference book with the volume cap switched on (`participation_pct_max` "10", the default),
 * on real files (the full bundled BTC/USD hourly file, whose 2013-2015 bars are thin, and Kraken's
 * 1-minute XBT/USDC file of 2023 Q1, thinner still), against an independent plain loop written here
 * from the README's rules alone (big.js, no engine code; it reads only the CSV rows). Same fills
 * (bar, side, quantity, price, fee), in the same order, and the same final value, to the last digit.
 *
 * The rules the loop implements (README, "Fills" and "Closes are carried through to flat"):
 * - an order decided at the close of bar T fills from bar T+1 on, at most participation_pct_max % of
 *   each bar's volume (rounded down to lots); what is left keeps working until market_expire_bars
 *   bars of its symbol have passed, then expires;
 * - a buy the cash cannot pay for whole (fee as charged) is cut to the most lots the cash pays for;
 * - a sell meant to go flat that expires with a remainder is re-placed at once as a market sell of
 *   what is held, working from the next bar, again until flat;
 * - the skill (sma-cross, as in reference.e2e.test.ts) sees a partly filled position as a position
 *   and a working order as pending: no entry unless flat with no working buy, no exit while a sell
 *   works; an exit cancels the symbol's working orders (a buy remainder) and sells all that is held;
 * - buys are sized on the equity at the decision close (all of it: flat, so the cash) at the exact
 *   unit cost close x (1 + bps) x (1 + fee); slippage moves the open against the trader and rounds
 *   to the pair's price decimals (buys up, sells down); fees round half-even to fee_decimals.
 * Independently of the loop, every fill is checked against its own bar's cap (no fill beyond it).
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
interface Pair { readonly pair_decimals: number; readonly lot_decimals: number; readonly fee_decimals: number }
interface Case {
  readonly symbol: string; readonly file: string; readonly interval_s: number;
  readonly participation: string; readonly expire: number; readonly bps: string; readonly pair: Pair;
  /** At least this many re-placed close remainders and partial fills (the rule was exercised). */
  readonly remainders_min: number;
}
const BTC_HOURLY = join(BUNDLED_DATA_DIR, 'kraken', 'XBTUSD_60.csv');
const USDC_MINUTE = join(EXTERNAL_DATA_DIR, 'kraken_ohlcvt_2023q1', 'XBTUSDC_1.csv');
const UNROUNDED: Pair = { pair_decimals: 12, lot_decimals: 8, fee_decimals: 24 };
const CASES: Case[] = [
  // one thing changed from the reference book: the cap (orders still live one bar)
  { symbol: 'BTC/USD', file: BTC_HOURLY, interval_s: 3600, participation: '10', expire: 1, bps: '0', pair: UNROUNDED, remainders_min: 500 },
  { symbol: 'BTC/USDC', file: USDC_MINUTE, interval_s: 60, participation: '10', expire: 1, bps: '0', pair: UNROUNDED, remainders_min: 2000 },
  // the cap with the default order life (3 bars: a buy remainder works on, and an exit cancels it) and Kraken-like roundings
  { symbol: 'BTC/USDC', file: USDC_MINUTE, interval_s: 60, participation: '10', expire: 3, bps: '5', pair: { pair_decimals: 1, lot_decimals: 8, fee_decimals: 4 }, remainders_min: 500 },
];

interface Fill { readonly bar_open_ms: number; readonly side: 'buy' | 'sell'; readonly qty: string; readonly price: string; readonly fee: string }
interface Working { readonly side: 'buy' | 'sell'; remaining: Big; seen: number }

/** The oracle: sma-cross 10/30 all in, one symbol, with the volume cap and the rules above. */
function plainLoop(csv: string, c: Case, feePct: string, initialCash: string): { fills: Fill[]; value: Big; replaced: number } {
  const B = Big();
  B.DP = 60;
  B.RM = Big.roundDown;
  const rows = csv.trim().split('\n').map((l) => l.trim().split(','));
  const open = rows.map((r) => B(r[1] as string));
  const close = rows.map((r) => B(r[4] as string));
  const volume = rows.map((r) => B(r[5] as string));
  const count = rows.map((r) => Number(r[6]));
  const { pair_decimals: pd, lot_decimals: ld, fee_decimals: fd } = c.pair;
  const lot = B(1).div(B(10).pow(ld));
  const slip = B(c.bps).div(10_000);
  const pct = B(feePct).div(100);
  const fee = (cost: Big): Big => cost.times(pct).round(fd, Big.roundHalfEven);
  const fits = (q: Big, p: Big, cash: Big): boolean => q.times(p).plus(fee(q.times(p))).lte(cash);
  let cash = B(initialCash);
  let qty = B(0);
  let last = 0;
  let replaced = 0;
  let orders: Working[] = [];
  const fills: Fill[] = [];
  let sumFast = B(0);
  let sumSlow = B(0);
  for (let i = 0; i < rows.length; i++) {
    for (const o of orders) o.seen += 1;
    for (const o of [...orders]) { // the orders working before this bar, in the order they were placed
      const cap = count[i] === 0 || !(volume[i] as Big).gt(0) ? B(0) : (volume[i] as Big).times(c.participation).div(100).round(ld, Big.roundDown);
      let q = (o.remaining.lt(cap) ? o.remaining : cap).round(ld, Big.roundDown);
      if (q.gt(0)) {
        const buy = o.side === 'buy';
        const p = buy ? (open[i] as Big).times(slip.plus(1)).round(pd, Big.roundUp) : (open[i] as Big).times(B(1).minus(slip)).round(pd, Big.roundDown);
        if (buy && !fits(q, p, cash)) { // the most lots the cash pays for, fee as charged
          let lo = B(0);
          let hi = cash.div(p).round(ld, Big.roundDown).plus(lot);
          while (hi.minus(lo).gt(lot)) {
            const mid = lo.plus(hi).div(2).round(ld, Big.roundDown);
            if (fits(mid, p, cash)) lo = mid;
            else hi = mid;
          }
          q = lo;
        }
        if (!buy && qty.lt(q)) q = qty;
        if (q.gt(0)) {
          const cost = q.times(p);
          const f = fee(cost);
          cash = buy ? cash.minus(cost).minus(f) : cash.plus(cost).minus(f);
          assert.ok(cash.gte(0), 'the loop never spends cash it does not have');
          qty = buy ? qty.plus(q) : qty.minus(q);
          o.remaining = o.remaining.minus(q);
          fills.push({ bar_open_ms: Number(rows[i]![0]) * 1000, side: o.side, qty: q.toFixed(), price: p.toFixed(), fee: f.toFixed() });
        }
      }
      const done = o.remaining.eq(0) || (o.side === 'sell' && qty.eq(0));
      if (done || o.seen >= c.expire) {
        orders = orders.filter((x) => x !== o);
        if (!done && o.side === 'sell' && qty.gt(0) && o.remaining.gte(qty)) { // a close with a remainder: sell what is held, from the next bar
          orders.push({ side: 'sell', remaining: qty, seen: 0 });
          replaced++;
        }
      }
    }
    sumFast = sumFast.plus(close[i] as Big).minus(i >= 10 ? (close[i - 10] as Big) : 0);
    sumSlow = sumSlow.plus(close[i] as Big).minus(i >= 30 ? (close[i - 30] as Big) : 0);
    if (i + 1 < 30) continue; // warm-up: the slow window
    const sign = sumFast.times(30).cmp(sumSlow.times(10)); // sign(SMA10 - SMA30), exact
    if (sign !== 0 && last !== 0 && sign !== last) {
      const ci = close[i] as Big;
      if (sign > 0 && qty.eq(0) && !orders.some((o) => o.side === 'buy')) {
        const q = cash.div(ci.times(slip.plus(1)).times(pct.plus(1))).round(ld, Big.roundDown); // flat: the equity is the cash
        if (q.gt(0)) orders.push({ side: 'buy', remaining: q, seen: 0 });
      }
      if (sign < 0 && qty.gt(0) && !orders.some((o) => o.side === 'sell')) {
        orders = [{ side: 'sell', remaining: qty, seen: 0 }]; // the exit supersedes a working buy remainder
      }
    }
    if (sign !== 0) last = sign;
  }
  return { fills, value: cash.plus(qty.times(close[rows.length - 1] as Big)), replaced };
}

/** Every policy evaluation allowed its order and no risk rule resized one (the verdicts are policy.evaluated results; there is no risk.decided event). */
function gatesNeutral(events: readonly NewEvent[]): boolean {
  const evaluations = events.filter((e) => e.type === 'policy.evaluated').map((e) => e.payload as { verdict: string; results: { rule: string; verdict: string; reason: string }[] });
  return evaluations.length > 0 && evaluations.every((p) => p.verdict === 'ALLOW' && p.results.every((r) => r.verdict === 'ALLOW' && !r.reason.startsWith('resized')));
}

for (const c of CASES) {
  const what = `${c.symbol} ${c.interval_s === 60 ? '1-minute' : 'hourly'}, cap ${c.participation} %, orders live ${c.expire} bar(s), ${c.bps} bps, price ${c.pair.pair_decimals} decimals, fees to ${c.pair.fee_decimals}`;
  test(`reference book with the volume cap on ${what}: the engine = a plain loop (fills incl. fees, final value)`, async () => {
    const skill = CONFIG.skills[0] as { skill: string; params: Record<string, unknown> };
    const cfg: BookConfigInput = {
      ...CONFIG, pairs: { [c.symbol]: { ...c.pair, ordermin: null, costmin: null } }, data: { symbols: [c.symbol], timeframe_s: c.interval_s },
      skills: [{ ...skill, symbols: [c.symbol] }],
      execution: { ...(CONFIG.execution as object), slippage_bps: c.bps, participation_pct_max: c.participation, market_expire_bars: c.expire } as BookConfigInput['execution'],
    };
    const events: NewEvent[] = [];
    const run = await runBacktest(resolveBook(cfg), csvReader({ [c.symbol]: c.file }, c.file, c.interval_s, null, null), encodingSink(events));
    const engine: Fill[] = events.filter((e) => e.type === 'fill.executed').map((e) => {
      const p = e.payload as { bar_open_time_ms: number; side: 'buy' | 'sell'; qty: string; price: string; fee: string };
      return { bar_open_ms: p.bar_open_time_ms, side: p.side, qty: Big(p.qty).toFixed(), price: Big(p.price).toFixed(), fee: Big(p.fee).toFixed() };
    });
    const csv = readFileSync(c.file, 'utf8');
    const fees = cfg.fees as { taker_pct: string; maker_pct: string };
    assert.equal(fees.taker_pct, fees.maker_pct, 'one fee rate for every fill');
    const oracle = plainLoop(csv, c, fees.taker_pct, cfg.initial_cash);
    const firstDiff = engine.findIndex((f, i) => JSON.stringify(f) !== JSON.stringify(oracle.fills[i]));
    assert.equal(firstDiff, -1, `fill #${firstDiff}: engine ${JSON.stringify(engine[firstDiff])} != loop ${JSON.stringify(oracle.fills[firstDiff])}`);
    assert.equal(engine.length, oracle.fills.length, `engine ${engine.length} fills, loop ${oracle.fills.length}`);
    assert.equal(run.summary.final_equity, oracle.value.toFixed(), 'final value, to the last digit');
    // no fill beyond its bar's cap, checked on the CSV rows themselves
    const volumeAt = new Map(csv.trim().split('\n').map((l) => l.split(',')).map((r) => [Number(r[0]) * 1000, Big(r[5] as string)]));
    for (const f of engine) assert.ok(Big(f.qty).lte((volumeAt.get(f.bar_open_ms) as Big).times(c.participation).div(100)), `fill beyond the cap: ${JSON.stringify(f)}`);
    // the rules were exercised: partial fills, close remainders re-placed (as the loop re-placed them), buys cut to the cash; the gates neutral
    const remainders = events.filter((e) => e.type === 'intent.created' && (e.payload as { sizing: { mode?: string } }).sizing.mode === 'close_remainder').length;
    assert.equal(remainders, oracle.replaced, 'close remainders re-placed');
    assert.ok(remainders >= c.remainders_min, `only ${remainders} close remainders`);
    assert.ok(events.filter((e) => e.type === 'fill.executed' && (e.payload as { remaining: string }).remaining !== '0').length >= c.remainders_min, 'partial fills');
    assert.ok(gatesNeutral(events), 'the gates were neutral (every policy verdict ALLOW, no risk rule resized)');
    if (c.expire > 1) assert.ok(events.some((e) => e.type === 'order.closed' && (e.payload as { reason: string }).reason === 'superseded_by_exit'), 'an exit canceled a buy remainder');
    console.log(`${what}: ${engine.length} fills, ${remainders} close remainders, final value ${run.summary.final_equity}`);
  });
}
