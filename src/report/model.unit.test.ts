/**
 * The report model: exact figures from hand-built events (weighted entry/exit prices, skill
 * attribution through fill -> order -> intent -> signal, operator trades, half-even win rate),
 * a long series downsampled to at most REPORT_POINTS_MAX points keeping the last; on a real run
 * (the backtest driver) its totals agree with the ledger's own (realized P&L, fees, trade count)
 * and the builder fed step by step equals the model of the whole log; the page renders
 * byte-identically twice and escapes text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayReader, runBacktest } from '../backtest/run.js';
import { encodingSink } from '../backtest/sinks.js';
import { encodeEvent, resolveBook } from '../core/book/index.js';
import { Decimal } from '../core/money/decimal.js';
import type { NewEvent } from '../core/events/envelope.js';
import { BTC_2023Q1_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { buildReportModel, escapeHtml, OPERATOR_SKILL, renderBacktestReport, REPORT_CANDLES_MAX, REPORT_POINTS_MAX, ReportBuilder, skillBreakdown } from './index.js';

const ev = (type: string, time_ms: number, payload: Record<string, unknown>) => ({ type, time_ms, payload }) as NewEvent;
const fill = (time_ms: number, fill_id: string, order_id: string, symbol: string, side: string, qty: string, price: string) =>
  ev('fill.executed', time_ms, { fill_id, order_id, symbol, side, qty, price, bar_open_time_ms: time_ms - 1 });

function syntheticRun(): NewEvent[] {
  return [
    ev('signal.emitted', 1, { signal_id: 'S1', skill: 'sma-cross@1' }),
    ev('intent.created', 1, { intent_id: 'I1', signal_id: 'S1' }),
    ev('order.placed', 1, { order_id: 'O1', intent_id: 'I1' }),
    fill(2, 'F1', 'O1', 'BTC/USD', 'buy', '1', '100'),
    ev('lot.opened', 2, { lot_id: 'L1', trade_id: 'T1', fill_id: 'F1', qty: '1', price: '100' }),
    fill(3, 'F2', 'O1', 'BTC/USD', 'buy', '2', '101'),
    ev('lot.opened', 3, { lot_id: 'L2', trade_id: 'T1', fill_id: 'F2', qty: '2', price: '101' }),
    ev('mark.recorded', 3, { equity: '1000.5', drawdown_pct: '0' }),
    ev('intent.created', 4, { intent_id: 'I2', signal_id: null }),
    ev('order.placed', 4, { order_id: 'O2', intent_id: 'I2' }),
    fill(5, 'F3', 'O2', 'BTC/USD', 'sell', '3', '99'),
    ev('lot.consumed', 5, { lot_id: 'L1', qty: '1', exit_price: '99' }),
    ev('lot.consumed', 5, { lot_id: 'L2', qty: '2', exit_price: '99' }),
    ev('trade.closed', 5, { trade_id: 'T1', symbol: 'BTC/USD', opened_ms: 2, closed_ms: 5, qty_bought: '3', realized_pnl: '-5.5', fees: '0.25' }),
    ev('mark.recorded', 5, { equity: '994.5', drawdown_pct: '0.6' }),
    // a trade opened by an operator-side order (no signal): attributed to "operator"
    ev('intent.created', 6, { intent_id: 'I3', signal_id: null }),
    ev('order.placed', 6, { order_id: 'O3', intent_id: 'I3' }),
    fill(7, 'F4', 'O3', 'ETH/USD', 'buy', '0.3', '10'),
    ev('lot.opened', 7, { lot_id: 'L3', trade_id: 'T2', fill_id: 'F4', qty: '0.3', price: '10' }),
    ev('lot.consumed', 8, { lot_id: 'L3', qty: '0.3', exit_price: '10.01' }),
    ev('trade.closed', 8, { trade_id: 'T2', symbol: 'ETH/USD', opened_ms: 7, closed_ms: 8, qty_bought: '0.3', realized_pnl: '0.001', fees: '0.002' }),
  ];
}

test('trades: quantity-weighted prices, exact P&L text, skill from the opening signal; marks become the series', () => {
  const m = buildReportModel(syntheticRun());
  assert.deepEqual(m.trades[0], {
    trade_id: 'T1', symbol: 'BTC/USD', skill: 'sma-cross@1', entry_ms: 2, exit_ms: 5, qty: '3',
    entry_price: '100.66666667', exit_price: '99', pnl: '-5.5', fees: '0.25',
  });
  assert.equal(m.trades[1]?.skill, OPERATOR_SKILL);
  assert.equal(m.trades[1]?.exit_price, '10.01');
  assert.deepEqual(m.equity, [{ time_ms: 3, value: '1000.5' }, { time_ms: 5, value: '994.5' }]);
  assert.deepEqual(m.drawdown.map((p) => p.value), ['0', '0.6']);
  assert.deepEqual(m.fills.map((f) => [f.fill_id, f.symbol, f.side, f.qty, f.price, f.bar_open_time_ms]), [
    ['F1', 'BTC/USD', 'buy', '1', '100', 1], ['F2', 'BTC/USD', 'buy', '2', '101', 2], ['F3', 'BTC/USD', 'sell', '3', '99', 4], ['F4', 'ETH/USD', 'buy', '0.3', '10', 6],
  ]);
  assert.equal(m.fills_total, 4);
  assert.deepEqual(m.skills.map((s) => [s.skill, s.trades, s.win_rate_pct, s.net_pnl, s.fees]), [
    ['operator', 1, '100.00', '0.001', '0.002'], ['sma-cross@1', 1, '0.00', '-5.5', '0.25'],
  ]);
});

test('per skill: win rate half-even to 2 digits; a skill that signalled but never traded is listed with zeros', () => {
  const t = (pnl: string) => ({ trade_id: 'x', symbol: 'BTC/USD', skill: 'a@1', entry_ms: 0, exit_ms: 1, qty: '1', entry_price: '1', exit_price: '1', pnl, fees: '0.1' });
  const s = skillBreakdown([t('1'), t('2'), t('-3')], ['b@1', 'a@1']);
  assert.deepEqual(s, [
    { skill: 'a@1', trades: 3, wins: 2, win_rate_pct: '66.67', net_pnl: '0', fees: '0.3' },
    { skill: 'b@1', trades: 0, wins: 0, win_rate_pct: '0.00', net_pnl: '0', fees: '0' },
  ]);
  assert.throws(() => buildReportModel([ev('lot.consumed', 1, { lot_id: 'L9', qty: '1', exit_price: '1' })]), /lot L9 consumed before it was opened/);
});

test('a long series is downsampled to at most REPORT_POINTS_MAX points, first and last kept, in time order', () => {
  const n = 3 * REPORT_POINTS_MAX + 7;
  const b = new ReportBuilder();
  for (let i = 0; i < n; i++) b.add(ev('mark.recorded', 1000 + i, { equity: String(10_000 + i), drawdown_pct: String(i % 13) }));
  const m = b.model();
  for (const series of [m.equity, m.drawdown]) {
    assert.ok(series.length <= REPORT_POINTS_MAX, `${series.length} points`);
    assert.ok(series.length > REPORT_POINTS_MAX / 4, `${series.length} points: thinned too much`);
    assert.equal(series[0]?.time_ms, 1000);
    assert.equal(series.at(-1)?.time_ms, 1000 + n - 1, 'the last point is kept');
    for (let i = 1; i < series.length; i++) assert.ok(series[i]!.time_ms > series[i - 1]!.time_ms);
  }
  assert.equal(m.equity.at(-1)?.value, String(10_000 + n - 1));
  assert.equal(m.drawdown.at(-1)?.value, String((n - 1) % 13));
});

test('on a real run the report totals equal the ledger: trades, realized P&L, fees; rendering is deterministic and escaped', async () => {
  const book = resolveBook({
    book_id: 'report-unit', data: { symbols: ['BTC/USD'], timeframe_s: 3600 },
    skills: [{ skill: 'sma-cross', symbols: ['BTC/USD'], params: { fast: 5, slow: 20 } }], sizing: { mode: 'pct_equity', pct: '40' }, initial_cash: '10000',
  });
  const events: NewEvent[] = [];
  const builder = new ReportBuilder(); // fed as the steps are made, as the backtest service does
  const r = await runBacktest(book, arrayReader(loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600)), encodingSink(events), {
    observe: (step) => {
      for (const e of step) builder.add(encodeEvent(e));
    },
  });
  const m = buildReportModel(events);
  assert.deepEqual(builder.model(), m);
  // the price chart: a quarter of hours (more than REPORT_CANDLES_MAX) merged pairwise, exact OHLC of the bars it holds
  const bars = loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600);
  assert.ok(bars.length > REPORT_CANDLES_MAX);
  const [btc] = m.candles;
  assert.equal(btc!.symbol, 'BTC/USD');
  assert.ok(btc!.candles.length <= REPORT_CANDLES_MAX && btc!.candles.length >= REPORT_CANDLES_MAX / 2, `${btc!.candles.length} candles`);
  const firstTwo = bars.slice(0, 2);
  assert.deepEqual(btc!.candles[0], {
    open_time_ms: firstTwo[0]!.open_time_ms, open: firstTwo[0]!.open.toString(), close: firstTwo[1]!.close.toString(),
    high: (firstTwo[0]!.high.gt(firstTwo[1]!.high) ? firstTwo[0]! : firstTwo[1]!).high.toString(), low: (firstTwo[0]!.low.lt(firstTwo[1]!.low) ? firstTwo[0]! : firstTwo[1]!).low.toString(),
  });
  assert.equal(btc!.candles.at(-1)!.close, bars.at(-1)!.close.toString(), 'the last candle closes at the last bar');
  assert.equal(m.fills.length, r.summary.fills);
  assert.equal(m.trades.length, r.summary.trades_closed);
  assert.ok(m.trades.length > 10);
  const sum = (xs: readonly string[]) => xs.reduce((a, x) => a.add(Decimal.parse(x)), Decimal.ZERO).toString();
  let closedFees = Decimal.ZERO;
  for (const e of events) if (e.type === 'trade.closed') closedFees = closedFees.add(Decimal.parse((e.payload as { fees: string }).fees));
  assert.equal(sum(m.trades.map((t) => t.pnl)), r.state.ledger.realized_total.toString());
  assert.equal(sum(m.skills.map((s) => s.net_pnl)), r.state.ledger.realized_total.toString());
  assert.equal(sum(m.trades.map((t) => t.fees)), closedFees.toString());
  assert.equal(m.equity.length, r.summary.ticks);
  for (const t of m.trades) assert.ok(t.entry_ms < t.exit_ms && Decimal.parse(t.entry_price).isPositive(), JSON.stringify(t));
  const run = { meta: { book_id: 'x<y', config_hash: r.book.config_hash, initial_cash: '10000', symbols: r.book.symbols, stream: null }, summary: r.summary, events };
  const a = renderBacktestReport(run);
  assert.equal(renderBacktestReport(run), a);
  assert.ok(a.includes('Backtest: x&lt;y') && !a.includes('x<y'));
  assert.ok(!/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.apache\.org\/licenses)/.test(a.replace(/<script>[\s\S]*?<\/script>/g, '')), 'no external resource');
  assert.equal(renderBacktestReport({ meta: run.meta, summary: r.summary, model: m }), a, 'from the builder\'s model or from the events: the same page');
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});
