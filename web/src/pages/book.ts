/**
 * A book: figures, equity and drawdown curves, candles with fill markers per symbol, positions,
 * FIFO lots, trades and the cash ledger (first pages; "next" loads the following page).
 */
import { enc, get, type Page } from '../api.js';
import { candleChart, lineChart, type CandleIn, type FillIn } from '../charts.js';
import { badge, h, num, table, utc } from '../format.js';
import { dl } from './overview.js';

interface BookDetail {
  stream: string; kind: string; head_seq: number; state_hash: string; execution_plane: string | null; symbols: string[]; quote_decimals: number;
  pairs: Record<string, { price_decimals: number; qty_decimals: number }>; drawdown_pct: string | null;
  state: { status: string; equity: string; cash: string; peak_equity: string; tier: string; realized_total: string; fees_total: string; trades_closed: number; ticks: number; fills: number; time_ms: number };
  staleness: { status: string };
}
type Mark = { time_ms: number; equity: string; drawdown_pct: string };

export async function bookPage(main: HTMLElement, stream: string): Promise<void> {
  main.append(h('p', { class: 'loading' }, `Folding ${stream} (a long log takes a while the first time)...`));
  const b = await get<BookDetail>(`/api/books/${enc(stream)}`);
  main.replaceChildren();
  const q = b.quote_decimals;
  const s = b.state;
  const stale = b.staleness.status === 'STALE';
  const head = h('section', { class: `panel${stale ? ' stale' : ''}`, id: 'book-figures' });
  head.append(
    h('h1', {}, stream),
    h('p', { class: 'badges' }, badge(b.execution_plane ?? 'UNOPENED', 'plane'), ' ', badge(s.status), ' ', badge(s.tier.toUpperCase(), `tier_${s.tier}`), ' ', badge(b.staleness.status)),
    dl([
      ['Equity', h('span', { id: 'fig-equity' }, num(s.equity, q))], ['Cash', h('span', { id: 'fig-cash' }, num(s.cash, q))],
      ['Peak equity', num(s.peak_equity, q)], ['Drawdown', num(b.drawdown_pct, 2, ' %')], ['Realized P&L', num(s.realized_total, q)],
      ['Fees', h('span', { id: 'fig-fees' }, num(s.fees_total, q))], ['Trades closed', h('span', { id: 'fig-trades' }, String(s.trades_closed))],
      ['Fills', String(s.fills)], ['Ticks', String(s.ticks)], ['Market time', utc(s.time_ms)], ['Head seq', String(b.head_seq)], ['State hash', h('code', {}, b.state_hash.slice(0, 16))],
    ]),
  );
  main.append(head);

  const marks = await get<{ points: Mark[] }>(`/api/books/${enc(stream)}/marks?points=1000`);
  const eq = h('div', { class: 'chart', id: 'equity-chart', role: 'img', 'aria-label': 'equity curve' });
  const dd = h('div', { class: 'chart', id: 'drawdown-chart', role: 'img', 'aria-label': 'drawdown curve' });
  main.append(h('section', { class: `panel${stale ? ' stale' : ''}` }, h('h2', {}, 'Equity'), eq, h('h2', {}, 'Drawdown %'), dd));
  lineChart(eq, marks.points.map((p) => ({ time_ms: p.time_ms, value: p.equity })), '#1565c0', q);
  lineChart(dd, marks.points.map((p) => ({ time_ms: p.time_ms, value: `-${p.drawdown_pct}` })), '#c62828', 2);

  const candlePanel = h('section', { class: `panel${stale ? ' stale' : ''}`, id: 'candles' }, h('h2', {}, 'Candles and fills'));
  const picker = h('div', { class: 'picker', role: 'group', 'aria-label': 'symbol' });
  const chartEl = h('div', { class: 'chart tall', id: 'candle-chart', role: 'img', 'aria-label': 'candles with fills' });
  candlePanel.append(picker, chartEl);
  main.append(candlePanel);
  const showSymbol = async (symbol: string) => {
    for (const btn of picker.querySelectorAll('button')) btn.setAttribute('aria-pressed', String(btn.textContent === symbol));
    const r = await get<{ candles: CandleIn[]; fills: FillIn[]; pair: { price_decimals: number } | null }>(`/api/books/${enc(stream)}/candles?symbol=${enc(symbol)}&limit=500`);
    chartEl.replaceChildren();
    candleChart(chartEl, r.candles, r.fills, r.pair?.price_decimals ?? 2);
  };
  for (const sym of b.symbols) {
    const btn = h('button', { type: 'button', 'aria-pressed': 'false' }, sym);
    btn.addEventListener('click', () => void showSymbol(sym));
    picker.append(btn);
  }
  if (b.symbols[0]) await showSymbol(b.symbols[0]);

  const [positions, lots] = await Promise.all([
    get<{ positions: Array<{ symbol: string; qty: string; last_close: string | null; value: string | null; cost_basis: string; unrealized: string | null }> }>(`/api/books/${enc(stream)}/positions`),
    get<{ lots: Array<{ symbol: string; lot_id: string; qty: string; price: string; fee: string; opened_ms: number }> }>(`/api/books/${enc(stream)}/lots`),
  ]);
  const pd = (sym: string) => b.pairs[sym] ?? { price_decimals: 2, qty_decimals: 8 };
  main.append(h('section', { class: 'panel' },
    table('positions', 'Positions', ['Symbol', 'Qty', 'Last close', 'Value', 'Cost basis', 'Unrealized'], positions.positions.map((p) => [
      p.symbol, num(p.qty, pd(p.symbol).qty_decimals), num(p.last_close, pd(p.symbol).price_decimals), num(p.value, q), num(p.cost_basis, q), num(p.unrealized, q)])),
    table('lots', 'Open FIFO lots', ['Lot', 'Symbol', 'Qty', 'Price', 'Entry fee', 'Opened'], lots.lots.map((l) => [
      l.lot_id, l.symbol, num(l.qty, pd(l.symbol).qty_decimals), num(l.price, pd(l.symbol).price_decimals), num(l.fee, q), utc(l.opened_ms)])),
  ));

  type Trade = { trade_id: string; symbol: string; opened_ms: number; closed_ms: number; qty_bought: string; realized_pnl: string; fees: string };
  type Cash = { line: number; kind: string; amount: string; balance: string; ref: string };
  main.append(await pagedTable(`/api/books/${enc(stream)}/trades`, 'trades', 'Closed trades', ['Trade', 'Symbol', 'Opened', 'Closed', 'Qty bought', 'Net P&L', 'Fees'],
    (t: Trade) => [t.trade_id, t.symbol, utc(t.opened_ms), utc(t.closed_ms), num(t.qty_bought, pd(t.symbol).qty_decimals), num(t.realized_pnl, q), num(t.fees, q)]));
  main.append(await pagedTable(`/api/books/${enc(stream)}/ledger`, 'ledger', 'Cash ledger', ['Line', 'Kind', 'Amount', 'Balance', 'Ref'],
    (c: Cash) => [String(c.line), c.kind, num(c.amount, q), num(c.balance, q), c.ref]));
}

/** A table of the first page of a typed list, with a "next page" button (navigation only). */
async function pagedTable<T>(url: string, id: string, caption: string, head: string[], row: (p: T) => Array<Node | string>): Promise<HTMLElement> {
  const panel = h('section', { class: 'panel' });
  let after = 0;
  const load = async () => {
    let page = await get<Page<T>>(`${url}?limit=100&after_seq=${after}`);
    while (page.items.length === 0 && page.next_after_seq !== null) page = await get<Page<T>>(`${url}?limit=100&after_seq=${page.next_after_seq}`); // skip empty scan windows
    const t = table(id, `${caption} (from seq ${after + 1})`, head, page.items.map((e) => row(e.payload)));
    panel.replaceChildren(t);
    if (page.next_after_seq !== null) {
      const next = h('button', { type: 'button' }, 'Next page');
      const nextAfter = page.next_after_seq;
      next.addEventListener('click', () => {
        after = nextAfter;
        void load();
      });
      panel.append(next);
    }
  };
  await load();
  return panel;
}
