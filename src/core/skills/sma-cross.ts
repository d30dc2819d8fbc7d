/**
 * sma-cross@1: long when the fast SMA crosses above the slow SMA, exit when it crosses below.
 * A cross is a change of the sign of (fast - slow) from its last NON-ZERO sign to the opposite
 * strict sign: touching zero is not a cross, and a touch followed by a return to the same side is
 * not one either. The last non-zero sign is kept in memory. Also reports ATR (for vol sizing).
 */
import { z } from '../zod.js';
import { atr, sma } from '../indicators/index.js';
import type { Skill } from './types.js';

export const smaCrossParams = z.strictObject({
  fast: z.number().int().min(1).max(1000),
  slow: z.number().int().min(2).max(2000),
  atr_period: z.number().int().min(1).max(500).default(14),
}).refine((p) => p.fast < p.slow, 'fast must be < slow');
export type SmaCrossParams = z.infer<typeof smaCrossParams>;

export const smaCross: Skill<SmaCrossParams> = {
  id: 'sma-cross',
  version: '1',
  description: 'Long on a fast/slow SMA up-cross, flat on a down-cross.',
  inputs: { timeframes_s: null, indicators: ['sma', 'atr'] },
  outputs: ['enter', 'exit'],
  params: smaCrossParams,
  warmupBars: (p) => Math.max(p.slow, 3 * p.atr_period + 1),
  evaluate(ctx) {
    const closes = ctx.closes ?? ctx.bars.map((b) => b.close);
    const fast = sma(closes, ctx.params.fast);
    const slow = sma(closes, ctx.params.slow);
    if (fast === null || slow === null) return { signals: [], memory: ctx.memory };
    const sign = fast > slow ? 1 : fast < slow ? -1 : 0;
    const last = typeof ctx.memory?.last_sign === 'number' ? ctx.memory.last_sign : 0;
    const memory = sign !== 0 && sign !== last ? { last_sign: sign } : ctx.memory;
    if (sign === 0 || last === 0 || sign === last) return { signals: [], memory };
    const a = atr(ctx.bars, ctx.params.atr_period);
    const indicators: Record<string, number> = { sma_fast: fast, sma_slow: slow };
    if (a !== null) indicators.atr = a;
    const flat = !ctx.position_qty.isPositive();
    if (sign > 0 && flat && !ctx.pending_buy) return { signals: [{ action: 'enter', reason: 'sma_cross_up', indicators }], memory };
    if (sign < 0 && !flat && !ctx.pending_sell) return { signals: [{ action: 'exit', reason: 'sma_cross_down', indicators }], memory };
    return { signals: [], memory };
  },
};
