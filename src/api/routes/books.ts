/**
 * Book routes: the list (overview), a book's folded state, positions, FIFO lots, and the typed
 * lists of its log (trades, fills, cash ledger) paged by seq.
 */
import type { FastifyInstance } from 'fastify';
import { Decimal } from '../../core/money/decimal.js';
import { lastCandle, type BookState } from '../../core/book/index.js';
import { requireBook, type ApiContext } from '../context.js';
import { PAGE_LIMIT_DEFAULT } from '../limits.js';
import { bookStreams, latestOfType, typedPage, type BookStream } from '../reads.js';
import { objectReply, pageQuery, pageReply, streamParams, noQuery } from '../schemas.js';
import { staleness } from '../staleness.js';
import { CandleStore } from '../../store/candle-store.js';

type StreamReq = { Params: { stream: string } };
type PageReq = { Params: { stream: string }; Querystring: { after_seq?: number; limit?: number } };

/** ACTIVE/LATE/STALE of a runtime book's data (its worst series); a backtest is HISTORICAL. */
async function bookStaleness(ctx: ApiContext, b: BookStream, symbols: readonly string[], intervalS: number | null): Promise<{ status: string; series: unknown[] }> {
  if (b.kind === 'backtest') return { status: 'HISTORICAL', series: [] };
  if (intervalS === null || symbols.length === 0) return { status: 'NO_MARKET', series: [] };
  const all = await new CandleStore(ctx.db).series();
  const rank = { ACTIVE: 0, LATE: 1, STALE: 2 } as const;
  let worst: keyof typeof rank = 'ACTIVE';
  const series = symbols.map((symbol) => {
    const s = all.find((x) => x.symbol === symbol && x.interval_s === intervalS);
    if (!s) {
      worst = 'STALE';
      return { symbol, interval_s: intervalS, ctt_ms: null, status: 'STALE', age_s: null, overdue_s: null };
    }
    const st = staleness(s.ctt_ms, intervalS, ctx.now(), ctx.staleness);
    if (rank[st.status] > rank[worst]) worst = st.status;
    return { symbol, interval_s: intervalS, ctt_ms: s.ctt_ms, ...st };
  });
  return { status: worst, series };
}

function stateSummary(state: BookState) {
  const L = state.ledger;
  return {
    book_id: state.book_id, execution_plane: state.execution_plane, status: state.status, running: state.running, started: state.started,
    time_ms: state.time_ms, cash: L.cash.toString(), deposits: L.deposits.toString(), equity: state.equity.toString(), peak_equity: state.peak_equity.toString(),
    tier: state.tier, cooldown_until_ms: state.cooldown_until_ms, realized_total: L.realized_total.toString(), fees_total: L.fees_total.toString(),
    trades_closed: L.trades_closed, ticks: state.ticks, bars: state.bars, fills: state.fills, counts: state.counts, last_inbox_id: state.last_inbox_id,
    working_orders: state.orders.map((o) => ({ order_id: o.order_id, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty.toString(), remaining: o.remaining.toString(), placed_ms: o.placed_ms })),
  };
}

function positionsOf(state: BookState) {
  return [...state.positions.keys()].sort().map((symbol) => {
    const qty = state.positions.get(symbol)!;
    const c = lastCandle(state, symbol);
    const lots = state.ledger.lots[symbol] ?? [];
    let basis = Decimal.ZERO;
    for (const l of lots) basis = basis.add(l.qty.mul(l.price)).add(l.fee);
    return {
      symbol, qty: qty.toString(), last_close: c ? c.close.toString() : null, value: c ? qty.mul(c.close).toString() : null,
      cost_basis: basis.toString(), unrealized: c ? qty.mul(c.close).sub(basis).toString() : null, lots: lots.length,
    };
  });
}

export function registerBookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/books', { schema: { querystring: noQuery, response: objectReply } }, async () => {
    const books = [];
    for (const b of await bookStreams(ctx.db)) {
      const meta = await ctx.metas.get(b.stream);
      const mark = await latestOfType(ctx.db, b.stream, 'mark.recorded');
      const m = (mark?.payload ?? null) as { equity?: string; drawdown_pct?: string; tier?: string; cash?: string } | null;
      books.push({
        ...b, ...meta, last_mark: mark ? { seq: mark.seq, time_ms: mark.time_ms, equity: m?.equity ?? null, cash: m?.cash ?? null, drawdown_pct: m?.drawdown_pct ?? null, tier: m?.tier ?? null } : null,
        staleness: await bookStaleness(ctx, b, meta.symbols, meta.interval_s),
      });
    }
    return { books, now_ms: ctx.now() };
  });

  app.get<StreamReq>('/api/books/:stream', { schema: { params: streamParams, querystring: noQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const f = await ctx.states.get(b.stream, b.head_seq);
    const meta = await ctx.metas.get(b.stream);
    const mark = await latestOfType(ctx.db, b.stream, 'mark.recorded');
    return {
      stream: b.stream, kind: b.kind, head_seq: b.head_seq, head_hash: b.head_hash, folded_seq: f.seq, state_hash: f.kernel.stateHash(f.state),
      ...meta, drawdown_pct: (mark?.payload as { drawdown_pct?: string } | undefined)?.drawdown_pct ?? null,
      state: stateSummary(f.state), staleness: await bookStaleness(ctx, b, meta.symbols, meta.interval_s),
    };
  });

  app.get<StreamReq>('/api/books/:stream/positions', { schema: { params: streamParams, querystring: noQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const f = await ctx.states.get(b.stream, b.head_seq);
    return { stream: b.stream, seq: f.seq, time_ms: f.state.time_ms, positions: positionsOf(f.state) };
  });

  app.get<StreamReq>('/api/books/:stream/lots', { schema: { params: streamParams, querystring: noQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const f = await ctx.states.get(b.stream, b.head_seq);
    const lots = Object.keys(f.state.ledger.lots).sort().flatMap((symbol) =>
      (f.state.ledger.lots[symbol] ?? []).map((l) => ({ symbol, lot_id: l.lot_id, qty: l.qty.toString(), price: l.price.toString(), fee: l.fee.toString(), opened_ms: l.opened_ms })));
    return { stream: b.stream, seq: f.seq, lots };
  });

  const typed = (path: string, types: string[]) =>
    app.get<PageReq>(`/api/books/:stream/${path}`, { schema: { params: streamParams, querystring: pageQuery, response: pageReply } }, async (req) => {
      const b = await requireBook(ctx, req.params.stream);
      const page = await typedPage(ctx.db, b.stream, { types, afterSeq: req.query.after_seq ?? 0, toSeq: null, limit: req.query.limit ?? PAGE_LIMIT_DEFAULT, headSeq: b.head_seq });
      return { stream: b.stream, head_seq: b.head_seq, ...page };
    });
  typed('trades', ['trade.closed']);
  typed('fills', ['fill.executed']);
  typed('ledger', ['cash.posted']);
}
