/**
 * rsi-reversion@1: mean reversion. When flat and RSI(period) is below `oversold`, bid with a
 * LIMIT order limit_offset_bps under the close, working for expire_bars bars. Exit at market
 * when RSI recovers above `exit_above`, or when the close falls stop_loss_pct under the average
 * entry. RSI is Wilder's, computed over the last rsi_window bars (the declared warm-up), so it
 * depends only on that window.
 */
import { z } from '../zod.js';
import { rsi } from '../indicators/index.js';
import type { Skill } from './types.js';

export const rsiParams = z.strictObject({
  period: z.number().int().min(2).max(200).default(14),
  rsi_window: z.number().int().min(10).max(5000).default(150),
  oversold: z.number().min(1).max(50).default(30),
  exit_above: z.number().min(20).max(99).default(55),
  limit_offset_bps: z.number().min(0).max(1000).default(10),
  expire_bars: z.number().int().min(1).max(1000).default(3),
  stop_loss_pct: z.number().positive().max(90).default(8),
}).refine((p) => p.rsi_window > p.period, 'rsi_window must exceed period');
export type RsiParams = z.infer<typeof rsiParams>;

export const rsiReversion: Skill<RsiParams> = {
  id: 'rsi-reversion',
  version: '1',
  description: 'Buy oversold RSI with a limit order; sell on recovery or stop loss.',
  inputs: { timeframes_s: null, indicators: ['rsi'] },
  outputs: ['enter', 'exit'],
  params: rsiParams,
  warmupBars: (p) => p.rsi_window,
  evaluate(ctx) {
    const p = ctx.params;
    const closes = ctx.closes ?? ctx.bars.map((b) => b.close);
    const r = rsi(closes, p.period);
    const close = closes[closes.length - 1];
    if (r === null || close === undefined) return { signals: [], memory: null };
    const ind = { rsi: r, close };
    if (!ctx.position_qty.isPositive()) {
      if (ctx.pending_buy || r >= p.oversold) return { signals: [], memory: null };
      const limit = close * (1 - p.limit_offset_bps / 10_000);
      return { signals: [{ action: 'enter', reason: 'rsi_oversold', indicators: { ...ind, limit }, order: { type: 'limit', limit_price: limit, expire_bars: p.expire_bars } }], memory: null };
    }
    if (ctx.pending_sell) return { signals: [], memory: null };
    if (r > p.exit_above) return { signals: [{ action: 'exit', reason: 'rsi_recovered', indicators: ind }], memory: null };
    const avg = ctx.avg_entry?.toNumber() ?? null;
    if (avg !== null && close < avg * (1 - p.stop_loss_pct / 100)) {
      return { signals: [{ action: 'exit', reason: 'stop_loss', indicators: { ...ind, avg_entry: avg } }], memory: null };
    }
    return { signals: [], memory: null };
  },
};
