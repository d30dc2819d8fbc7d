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
import { readFileSync } from 'node:fs';
import type { CanonicalValue } from '../core/canonical/index.js';
import { encodeEvent, resolveBook, ticksOf, type BookConfigInput, type BookEvent, type RuntimeCommand } from '../core/book/index.js';
import { BLOCKED_RETAINED_MAX } from '../core/book/evolve.js';
import { TIMEBOX_BARS_MAX } from '../core/governance/index.js';
import type { Candle } from '../core/market/candle.js';
import { BookHarness, opCommand } from '../../test/support/book.js';
import { Decimal } from '../core/money/decimal.js';
import type { NewEvent } from '../core/events/envelope.js';
import { BTC_2023Q1_HOURLY, BTC_HOURLY, ETH_HOURLY, loadKrakenCsv } from '../../test/support/candles-csv.js';
import { buildReportModel, escapeHtml, OPERATOR_SKILL, renderBacktestReport, REPORT_CANDLES_MAX, REPORT_POINTS_MAX, REPORT_TRADES_MAX, ReportBuilder, skillBreakdown } from './index.js';

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
  const builder = new ReportBuilder(); // fed the typed events as the steps are made, as the backtest service does
  const encoded = new ReportBuilder(); // fed their canonical encoding
  const r = await runBacktest(book, arrayReader(loadKrakenCsv(BTC_2023Q1_HOURLY, 'BTC/USD', 3600)), encodingSink(events), {
    observe: (step) => {
      for (const e of step) {
        builder.addBook(e);
        encoded.add(encodeEvent(e));
      }
    },
  });
  const m = buildReportModel(events);
  assert.deepEqual(builder.model(), m, 'typed events give the model their encoding gives');
  assert.deepEqual(encoded.model(), m);
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
  assert.ok(a.includes(`<h2>Closed trades (${m.trades_total})</h2>`));
  const cut = renderBacktestReport({ meta: run.meta, summary: r.summary, model: { ...m, trades: m.trades.slice(0, 3) } });
  assert.ok(cut.includes(`<h2>Closed trades (${m.trades_total}; the first 3 listed)</h2>`), 'a long run says how many trades closed and how many are listed');
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

/**
 * An independent oracle for the trade -> skill attribution: the whole chain kept, never pruned
 * (fill -> order -> intent -> signal -> skill; an intent with no signal: operator), over the whole log.
 */
function naiveSkillOfTrades(events: readonly NewEvent[]): Map<string, string> {
  const skillOf = new Map<string, string>();
  const link = new Map<string, string | null>();
  const out = new Map<string, string>();
  for (const e of events) {
    const p = e.payload as Record<string, string | null>;
    if (e.type === 'signal.emitted') skillOf.set(p.signal_id!, p.skill!);
    else if (e.type === 'intent.created') link.set(p.intent_id!, p.signal_id ?? null);
    else if (e.type === 'order.placed') link.set(p.order_id!, p.intent_id!);
    else if (e.type === 'fill.executed') link.set(p.fill_id!, p.order_id!);
    else if (e.type === 'lot.opened' && !out.has(p.trade_id!)) {
      const signal = link.get(link.get(link.get(p.fill_id!)!)!);
      out.set(p.trade_id!, signal === null || signal === undefined ? OPERATOR_SKILL : skillOf.get(signal)!);
    }
  }
  return out;
}

/** Steps a book tick by tick over real candles, feeding a ReportBuilder each step's events; after every step the builder must hold the book's own directives. */
function governedRun(cfg: BookConfigInput, candles: readonly Candle[], operator?: (h: BookHarness, step: number) => RuntimeCommand | null) {
  const h = new BookHarness(cfg);
  const b = new ReportBuilder();
  let linksMax = 0;
  let steps = 0;
  const feed = (events: readonly BookEvent[]) => {
    for (const e of events) b.addBook(e);
    assert.deepEqual(b.heldDirectives(), [...h.state.directives.keys()], `after step ${steps}: the builder's directives are the book's`);
    linksMax = Math.max(linksMax, b.links);
    steps++;
  };
  feed(h.start(candles[0]!.open_time_ms));
  for (const t of ticksOf(h.kernel.market!.symbols, h.kernel.market!.interval_s, candles)) {
    feed(h.apply({ kind: 'market.tick', time_ms: t.time_ms, candles: t.candles }));
    const cmd = operator?.(h, steps);
    if (cmd) feed(h.apply(cmd));
  }
  const model = b.model();
  const naive = naiveSkillOfTrades(h.encoded);
  assert.ok(model.trades.length > 0 || naive.size === 0);
  for (const t of model.trades) assert.equal(t.skill, naive.get(t.trade_id), `trade ${t.trade_id}: the skill of the signal that opened it`);
  return { h, model, linksMax, whole: buildReportModel(h.encoded) }; // typed (addBook) vs the whole encoded log
}

test('the builder keeps a bounded attribution chain: after every step of real governed runs it holds exactly the book\'s directives, and its model equals the whole log\'s', () => {
  // approvals, rejections and expiry (both become blocked, then leave at the end of their timebox), retries of blocked ones
  const from = Date.UTC(2022, 4, 1);
  const to = Date.UTC(2022, 8, 1);
  const candles = [...loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { fromMs: from, toMs: to }), ...loadKrakenCsv(ETH_HOURLY, 'ETH/USD', 3600, { fromMs: from, toMs: to })];
  const demo = JSON.parse(readFileSync(new URL('../../../config/demo.book.json', import.meta.url), 'utf8')) as BookConfigInput;
  const cfg: BookConfigInput = { ...demo, data: { symbols: ['BTC/USD', 'ETH/USD'], timeframe_s: 3600 }, governance: { policy: { version: 'report-test', approval: { notional_above: '1000', timebox_bars: 12 } } } };
  let inbox = 0;
  const seen = new Set<string>();
  const acted = { approve: 0, reject: 0, retry: 0 };
  const gov = governedRun(cfg, candles, (h) => {
    for (const [id, d] of h.state.directives) {
      if (seen.has(`${id}:${d.status}`)) continue;
      seen.add(`${id}:${d.status}`);
      const n = Number(id.slice(1));
      if (d.status === 'proposed' && d.verdict === 'NEEDS_APPROVAL' && n % 5 === 0 && !seen.has(`${id}:drill`)) {
        // an operator's drill whose payload happens to carry a key named intent_id (any key passes): it names no intent
        seen.delete(`${id}:${d.status}`);
        seen.add(`${id}:drill`);
        const intent = (d.directive.payload as { intent_id: string }).intent_id;
        return { ...opCommand(++inbox, 'directive.propose', { type: 'module.run', payload: { module: 'noop', intent_id: intent } }, h.state.time_ms + 60_000), issued_by: 'operator:alice' } as RuntimeCommand;
      }
      const command = d.status === 'proposed' && d.verdict === 'NEEDS_APPROVAL' ? (n % 3 === 0 ? 'directive.approve' : n % 3 === 1 ? 'directive.reject' : null) : d.status === 'blocked' && n % 4 === 1 ? 'directive.retry' : null;
      if (command === null) continue;
      acted[command.slice('directive.'.length) as keyof typeof acted]++;
      const payload: CanonicalValue = command === 'directive.reject' ? { directive_id: id, reason: 'test' } : { directive_id: id };
      return { ...opCommand(++inbox, command, payload, h.state.time_ms + 60_000), issued_by: 'operator:alice' } as RuntimeCommand;
    }
    return null;
  });
  assert.ok(acted.approve > 0 && acted.reject > 0 && acted.retry > 0, JSON.stringify(acted));
  assert.ok(gov.h.encoded.some((e) => e.type === 'directive.proposed' && (e.payload as { directive: { type: string } }).directive.type === 'module.run'), 'drills were proposed');
  const govTypes = gov.h.encoded.filter((e) => e.type === 'directive.status_changed').map((e) => (e.payload as { to: string }).to);
  assert.ok(govTypes.includes('complete') && govTypes.includes('blocked'), 'approved ones complete, rejected and expired ones are blocked');
  assert.deepEqual(gov.model, gov.whole);
  assert.ok(gov.model.trades_total > 0 && gov.model.trades.length === gov.model.trades_total);

  // the reference book over the full BTC/USD file: thousands of signals and trades
  const ref = JSON.parse(readFileSync(new URL('../../../config/reference.book.json', import.meta.url), 'utf8')) as BookConfigInput;
  const r = governedRun({ ...ref, data: { symbols: ['BTC/USD'], timeframe_s: 3600 } }, loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { dropLast: true }));
  const signals = r.h.encoded.filter((e) => e.type === 'signal.emitted').length;
  assert.ok(signals > 2000, `${signals} signals`);
  assert.ok(r.linksMax < 100, `the chain holds at most ${r.linksMax} links over ${signals} signals`);
  assert.deepEqual(r.model, r.whole);
  assert.equal(r.model.trades_total, r.h.state.ledger.trades_closed);
  assert.equal(r.model.trades.length, Math.min(r.model.trades_total, REPORT_TRADES_MAX));
  assert.equal(r.model.skills.reduce((a, s) => a.add(Decimal.parse(s.net_pnl)), Decimal.ZERO).toString(), r.h.state.ledger.realized_total.toString());

  // every entry sized to nothing (a share of equity below one lot step): each is blocked, with the longest timebox, far beyond the retained limit
  const tiny = governedRun({
    ...ref, sizing: { mode: 'pct_equity', pct: '0.00000001' }, governance: { policy: { version: 'long-wait', approval: { timebox_bars: TIMEBOX_BARS_MAX } } }, data: { symbols: ['BTC/USD'], timeframe_s: 3600 } }, loadKrakenCsv(BTC_HOURLY, 'BTC/USD', 3600, { toMs: Date.UTC(2016, 0, 1) }));
  const blocked = tiny.h.encoded.filter((e) => e.type === 'directive.status_changed' && (e.payload as { to: string }).to === 'blocked').length;
  assert.ok(blocked > 2 * BLOCKED_RETAINED_MAX, `${blocked} blocked`);
  assert.equal(tiny.h.state.directives.size, BLOCKED_RETAINED_MAX, 'the book keeps the newest blocked ones');
  assert.ok(tiny.linksMax <= 2 * BLOCKED_RETAINED_MAX + 10, `${tiny.linksMax} links`);
  assert.deepEqual(tiny.model, tiny.whole);
});
