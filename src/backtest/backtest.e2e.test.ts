/**
 * Backtests end to end (the driver of ./run.ts over the runtime's step loop) on REAL Kraken hourly
 * data (shared/data/external), one per built-in skill: determinism (same config twice -> same
 * fingerprint, state hash and event chain), summary figures recomputed independently from the fill
 * events, fills only from the bar after the decision and inside that bar's range, no lookahead
 * (changing bar T+2 never changes anything decided at T or filled at T+1), and the CSV reader
 * (./csv.ts, through the ingestion parser) reads the file as the independent loader does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainEvents, GENESIS_PREV_HASH, type NewEvent } from '../core/events/index.js';
import { toHex } from '../core/canonical/hash.js';
import { canonicalJson } from '../core/canonical/index.js';
import { Decimal } from '../core/money/decimal.js';
import { closeTimeMs, type Candle } from '../core/market/candle.js';
import { resolveBook, type BookConfigInput } from '../core/book/index.js';
import { BTC_HOURLY, ETH_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { backtest } from '../../test/support/book.js';
import { csvReader } from './csv.js';
import { NULL_SINK, runBacktest } from './run.js';

type Result = Awaited<ReturnType<typeof backtest>>;

const btc = loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { dropLast: true });
const loose = { profile: 'default@1', overrides: { reduced_at_drawdown_pct: '15', reducing_only_at_drawdown_pct: '40', halted_at_drawdown_pct: '60' } };
const books: Record<string, BookConfigInput> = {
  'sma-cross': { book_id: 'e2e-sma', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }], sizing: { mode: 'pct_equity', pct: '40' }, risk: loose, initial_cash: '10000' },
  'donchian-breakout': { book_id: 'e2e-don', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'donchian-breakout', symbols: ['BTC/USD'], params: { entry_period: 48, stop_atr_mult: 4, tp_atr_mult: 3 } }], sizing: { mode: 'vol_target', risk_pct: '1', atr_mult: '4', pct_equity_max: '45' }, risk: loose, initial_cash: '10000' },
  'rsi-reversion': { book_id: 'e2e-rsi', data: { symbols: ['BTC/USD'], timeframe_s: 3600 }, skills: [{ skill: 'rsi-reversion', symbols: ['BTC/USD'], params: {} }], sizing: { mode: 'fixed_notional', notional: '3000' }, risk: loose, execution: { slippage_bps: '5', impact_bps_per_volume_pct: '1', participation_pct_max: '10', market_expire_bars: 3 }, initial_cash: '10000' },
};
const P = (e: NewEvent) => e.payload as Record<string, string | number | null>;

function headHash(events: readonly NewEvent[]): string {
  const chained = chainEvents('book:e2e', 0, GENESIS_PREV_HASH, events);
  return toHex((chained.at(-1) as { hash: Uint8Array }).hash);
}

/** Checks the summary against figures recomputed from the fill events alone. */
function checkAgainstFills(r: Result, candles: readonly Candle[]): void {
  const fills = r.events.filter((e) => e.type === 'fill.executed');
  const placedAt = new Map<string, number>();
  for (const e of r.events) if (e.type === 'order.placed') placedAt.set(P(e).order_id as string, e.time_ms);
  const byOpen = new Map<number, Candle>();
  for (const c of candles) byOpen.set(c.open_time_ms, c);
  let cash = Decimal.parse(r.book.config.initial_cash);
  let fees = Decimal.ZERO;
  let pos = Decimal.ZERO;
  for (const f of fills) {
    const p = P(f);
    const qty = Decimal.parse(p.qty as string);
    const price = Decimal.parse(p.price as string);
    const fee = Decimal.parse(p.fee as string);
    cash = p.side === 'buy' ? cash.sub(price.mul(qty)).sub(fee) : cash.add(price.mul(qty)).sub(fee);
    fees = fees.add(fee);
    pos = p.side === 'buy' ? pos.add(qty) : pos.sub(qty);
    // no lookahead: the fill's bar opens at or after the close of the bar the order was decided on
    const bar = byOpen.get(p.bar_open_time_ms as number) as Candle;
    assert.ok((p.bar_open_time_ms as number) >= (placedAt.get(p.order_id as string) as number), `fill ${String(p.fill_id)} before its order`);
    assert.equal(closeTimeMs(bar), f.time_ms);
    // price inside the bar, allowing the configured slippage (5 bps) plus impact
    const slack = Decimal.parse('0.02');
    assert.ok(price.lte(bar.high.mul(Decimal.ONE.add(slack))) && price.gte(bar.low.mul(Decimal.ONE.sub(slack))), `fill ${String(p.fill_id)} at ${price.toString()} outside bar ${bar.low.toString()}..${bar.high.toString()}`);
    assert.ok(qty.lte(bar.volume), 'a fill never exceeds the bar volume');
  }
  const last = candles.at(-1) as Candle;
  assert.equal(r.summary.fills, fills.length);
  assert.equal(r.summary.final_cash, cash.toString());
  assert.equal(r.summary.fees, fees.toString());
  assert.equal(r.summary.final_equity, cash.add(pos.mul(last.close)).toString());
  assert.equal(r.summary.net_pnl, cash.add(pos.mul(last.close)).sub(Decimal.parse(r.book.config.initial_cash)).toString());
  assert.ok(!cash.isNegative() && !pos.isNegative());
}

for (const [skill, cfg] of Object.entries(books)) {
  test(`${skill} on the full real BTC/USD hourly file: deterministic, consistent with its fills`, async () => {
    const a = await backtest(cfg, btc);
    const b = await backtest(cfg, btc);
    assert.equal(a.summary.bars, btc.length);
    assert.ok(a.summary.trades_closed >= 10, `${skill} closed only ${a.summary.trades_closed} trades`);
    assert.equal(a.summary.fingerprint, b.summary.fingerprint);
    assert.equal(a.summary.state_hash, b.summary.state_hash);
    assert.deepEqual(a.summary, b.summary);
    assert.match(a.summary.fingerprint, /^[0-9a-f]{64}$/);
    checkAgainstFills(a, btc);
    if (skill === 'donchian-breakout') {
      const actions = new Set(a.events.filter((e) => e.type === 'signal.emitted').map((e) => P(e).action));
      assert.deepEqual([...actions].sort(), ['add', 'enter', 'exit', 'reduce'], 'the campaign used partial exits and re-entries');
    }
    if (skill === 'rsi-reversion') {
      const liq = new Set(a.events.filter((e) => e.type === 'fill.executed').map((e) => P(e).liquidity));
      assert.ok(liq.has('maker'), 'limit entries filled as maker');
      assert.ok(a.events.some((e) => e.type === 'order.closed' && P(e).status === 'expired'), 'some limit bids expired');
    }
    if (skill === 'sma-cross') {
      // byte-identical events: the same hash chain head
      assert.equal(headHash(a.events), headHash(b.events));
    }
  });
}

test('a change of any field of the config changes the fingerprint', async () => {
  const slice = btc.slice(-3000);
  const base = await backtest(books['sma-cross']!, slice);
  const other = await backtest({ ...books['sma-cross'], execution: { slippage_bps: '6' } } as BookConfigInput, slice);
  assert.notEqual(base.summary.fingerprint, other.summary.fingerprint);
  assert.notEqual(base.summary.state_hash, other.summary.state_hash);
});

test('two symbols (BTC/USD sma-cross, ETH/USD donchian) in one book on real 2021-2022 data', async () => {
  const from = Date.UTC(2021, 0, 1);
  const to = Date.UTC(2023, 0, 1);
  const candles = [...loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { fromMs: from, toMs: to }), ...loadKrakenCsv(ETH_HOURLY, 'ETH/USD', 3600, { fromMs: from, toMs: to })];
  const cfg: BookConfigInput = {
    book_id: 'e2e-two', data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 },
    skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 10, slow: 30 } }, { skill: 'donchian-breakout', symbols: ['ETH/USD'], params: {} }],
    sizing: { mode: 'pct_equity', pct: '30' }, risk: loose, initial_cash: '20000',
  };
  const r = await backtest(cfg, candles);
  const symbols = new Set(r.events.filter((e) => e.type === 'fill.executed').map((e) => P(e).symbol));
  assert.deepEqual([...symbols].sort(), ['BTC/USD', 'ETH/USD']);
  assert.equal(r.summary.bars, candles.length);
  assert.equal((await backtest(cfg, [...candles].reverse())).summary.state_hash, r.summary.state_hash, 'input order does not matter');
});

test('no lookahead: changing bar T+2 never changes decisions at T or fills at T+1 (real data)', async () => {
  const slice = btc.filter((c) => c.open_time_ms >= Date.UTC(2022, 0, 1) && c.open_time_ms < Date.UTC(2022, 4, 1));
  let filledAtNext = 0;
  for (const skill of ['sma-cross', 'rsi-reversion', 'donchian-breakout']) {
    const base = await backtest(books[skill]!, slice);
    const decisions = base.events.filter((e) => e.type === 'order.placed').slice(0, 4).map((e) => e.time_ms);
    assert.ok(decisions.length >= 2, `${skill}: too few decisions to test`);
    for (const t of decisions) {
      const k = slice.findIndex((c) => closeTimeMs(c) === t); // bar T
      const mutated = slice.map((c, i) => (i === k + 2 ? { ...c, open: c.open.mul(Decimal.of(3)), high: c.high.mul(Decimal.of(3)), low: c.low.div(Decimal.of(3), 8, 'down'), close: c.close.mul(Decimal.of(2)), volume: c.volume.mul(Decimal.of(7)) } : c));
      const alt = await backtest(books[skill]!, mutated);
      const horizon = closeTimeMs(slice[k + 1] as Candle); // everything up to and including tick T+1
      const upTo = (r: Result) => canonicalJson(r.events.filter((e) => e.time_ms <= horizon).map((e) => ({ type: e.type, time_ms: e.time_ms, payload: e.payload })));
      assert.equal(upTo(alt), upTo(base), `${skill}: bar T+2 changed something at or before T+1 (T = ${t})`);
      if (base.events.some((e) => e.type === 'fill.executed' && e.time_ms === horizon)) filledAtNext++;
      const all = (r: Result) => canonicalJson(r.events.map((e) => ({ type: e.type, time_ms: e.time_ms, payload: e.payload })));
      assert.notEqual(all(alt), all(base), 'the mutated bar is in the input (recorded as bar.closed)');
    }
  }
  assert.ok(filledAtNext >= 4, `only ${filledAtNext} decisions had their fill at T+1 inside the compared window`);
});

test('the CSV reader (ingestion parser, bounded batches) gives the same run as the independent loader; memory sink or not', async () => {
  const book = resolveBook(books['sma-cross']);
  const last = btc.at(-1) as Candle;
  // the file's last row is a partial candle: the range ends before it
  const fromFile = await runBacktest(book, csvReader({ 'BTC/USD': BTC_HOURLY }, BTC_HOURLY, 3600, null, last.open_time_ms + 3_600_000), NULL_SINK);
  const expected = (await backtest(book, btc)).summary;
  assert.deepEqual(fromFile.summary, expected);
  assert.equal(fromFile.steps, expected.ticks + 2, 'runtime.start, one step per tick, runtime.stop');
});
