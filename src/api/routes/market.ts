/**
 * Market routes: data health per candle series (CTT, staleness, gaps, last rejection), a book's
 * equity marks (downsampled to bounded points) and its candles with the fills on them.
 */
import type { FastifyInstance } from 'fastify';
import { CandleStore } from '../../store/candle-store.js';
import { HttpError, requireBook, type ApiContext } from '../context.js';
import { CANDLES_DEFAULT, FILLS_PER_CHART_MAX, MARK_POINTS_DEFAULT } from '../limits.js';
import { downsampledMarks, fillsInRange, firstOfType, latestCandles, latestOfType } from '../reads.js';
import { candlesQuery, marksQuery, noQuery, objectReply, streamParams } from '../schemas.js';
import { staleness } from '../staleness.js';

type MarksReq = { Params: { stream: string }; Querystring: { from_ms?: number; to_ms?: number; points?: number } };
type CandlesReq = { Params: { stream: string }; Querystring: { symbol: string; from_ms?: number; to_ms?: number; limit?: number } };

/** Gap statistics scan a whole series: remembered per (series, last batch). */
const gapCache = new Map<string, { batch: number; gaps: { gap_count: number; gap_intervals: number; gap_intervals_max: number } }>();

export function registerMarketRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/data', { schema: { querystring: noQuery, response: objectReply } }, async () => {
    const candles = new CandleStore(ctx.db);
    const series = [];
    for (const s of await candles.series()) {
      const key = `${s.symbol}|${s.interval_s}`;
      let g = gapCache.get(key);
      if (g?.batch !== s.last_batch_id) {
        g = { batch: s.last_batch_id, gaps: await candles.gapStats(s.symbol, s.interval_s) };
        gapCache.set(key, g);
      }
      const rej = await candles.lastRejection(s.symbol, s.interval_s);
      series.push({
        ...s, ...g.gaps, staleness: staleness(s.ctt_ms, s.interval_s, ctx.now(), ctx.staleness),
        last_rejection: rej ? { batch_id: rej.id, source: rej.source_name, status: rej.status, report: JSON.parse(rej.report) as unknown } : null,
      });
    }
    const rejected = (await candles.batches(100)).filter((b) => b.status !== 'accepted')
      .map((b) => ({ batch_id: b.id, source: b.source_name, symbol: b.symbol, interval_s: b.interval_s, status: b.status, rows_read: b.rows_read }));
    return { now_ms: ctx.now(), staleness_rule: ctx.staleness, series, rejections: rejected };
  });

  app.get<MarksReq>('/api/books/:stream/marks', { schema: { params: streamParams, querystring: marksQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const first = await firstOfType(ctx.db, b.stream, 'mark.recorded');
    const last = await latestOfType(ctx.db, b.stream, 'mark.recorded');
    if (first === null || last === null) return { stream: b.stream, from_ms: null, to_ms: null, points: [] };
    const from = req.query.from_ms ?? first.time_ms;
    const to = req.query.to_ms ?? last.time_ms;
    if (to < from) throw new HttpError(400, `to_ms ${to} is before from_ms ${from}`);
    const rows = await downsampledMarks(ctx.db, b.stream, from, to, req.query.points ?? MARK_POINTS_DEFAULT);
    const points = rows.map((r) => {
      const p = r.payload as { equity: string; cash: string; drawdown_pct: string; tier: string; exposure_pct: string };
      return { seq: r.seq, time_ms: r.time_ms, equity: p.equity, cash: p.cash, drawdown_pct: p.drawdown_pct, tier: p.tier, exposure_pct: p.exposure_pct };
    });
    return { stream: b.stream, from_ms: from, to_ms: to, points };
  });

  app.get<CandlesReq>('/api/books/:stream/candles', { schema: { params: streamParams, querystring: candlesQuery, response: objectReply } }, async (req) => {
    const b = await requireBook(ctx, req.params.stream);
    const meta = await ctx.metas.get(b.stream);
    const { symbol } = req.query;
    if (!meta.symbols.includes(symbol) || meta.interval_s === null) throw new HttpError(400, `symbol ${symbol} is not traded by ${b.stream} (its symbols: ${meta.symbols.join(', ') || 'none'})`);
    const intervalMs = meta.interval_s * 1000;
    const last = await latestOfType(ctx.db, b.stream, 'mark.recorded');
    const to = req.query.to_ms ?? (last ? last.time_ms : ctx.now());
    const from = req.query.from_ms ?? 0;
    if (to < from) throw new HttpError(400, `to_ms ${to} is before from_ms ${from}`);
    const candles = await latestCandles(ctx.db, symbol, meta.interval_s, from, to, req.query.limit ?? CANDLES_DEFAULT);
    let fills: unknown[] = [];
    if (candles.length > 0) {
      const lo = candles[0]!.open_time_ms;
      const hi = candles[candles.length - 1]!.open_time_ms;
      // a fill on bar B is recorded at the tick closing B (event time B + interval)
      const rows = await fillsInRange(ctx.db, b.stream, lo + intervalMs, hi + intervalMs, FILLS_PER_CHART_MAX);
      fills = rows.filter((r) => (r.payload as { symbol?: string }).symbol === symbol).map((r) => {
        const p = r.payload as { fill_id: string; order_id: string; side: string; qty: string; price: string; fee: string; bar_open_time_ms: number; liquidity: string };
        return { seq: r.seq, time_ms: r.time_ms, fill_id: p.fill_id, order_id: p.order_id, side: p.side, qty: p.qty, price: p.price, fee: p.fee, bar_open_time_ms: p.bar_open_time_ms, liquidity: p.liquidity };
      });
    }
    return { stream: b.stream, symbol, interval_s: meta.interval_s, pair: meta.pairs[symbol] ?? null, candles, fills };
  });
}
