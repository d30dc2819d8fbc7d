/**
 * donchian-breakout@1: trend campaign. Enter when the close breaks above the highest high of the
 * previous entry_period bars. Manage the campaign with an ATR trailing stop (peak close minus
 * stop_atr_mult ATRs, only ever raised) and a partial take-profit (sell tp_fraction once the close
 * is tp_atr_mult ATRs above the entry), then re-enter (add back) on a fresh breakout. The final
 * exit is the trailing stop: there is no fixed maximum hold. Campaign facts live in memory as
 * canonical text: entry, peak, stop, partial_taken.
 */
import { z } from '../zod.js';
import { atr, donchian, numText } from '../indicators/index.js';
import { memNum, type Skill, type SkillMemory } from './types.js';

export const donchianParams = z.strictObject({
  entry_period: z.number().int().min(2).max(1000).default(20),
  atr_period: z.number().int().min(1).max(500).default(14),
  stop_atr_mult: z.number().positive().max(50).default(3),
  tp_atr_mult: z.number().positive().max(50).default(2),
  tp_fraction: z.string().regex(/^0\.[0-9]{1,4}$/, 'a share in (0, 1) like "0.5"').default('0.5'),
});
export type DonchianParams = z.infer<typeof donchianParams>;

function campaign(entry: number, peak: number, stop: number, partial: boolean): SkillMemory {
  return { entry: numText(entry), peak: numText(peak), stop: numText(stop), partial_taken: partial };
}

export const donchianBreakout: Skill<DonchianParams> = {
  id: 'donchian-breakout',
  version: '1',
  description: 'Donchian breakout with an ATR trailing stop, partial take-profit and re-entries.',
  inputs: { timeframes_s: null, indicators: ['donchian', 'atr'] },
  outputs: ['enter', 'add', 'reduce', 'exit'],
  params: donchianParams,
  warmupBars: (p) => Math.max(p.entry_period + 1, 3 * p.atr_period + 1),
  evaluate(ctx) {
    const p = ctx.params;
    const bars = ctx.bars;
    const ch = donchian(bars, p.entry_period, bars.length - 1);
    const a = atr(bars, p.atr_period);
    const bar = bars[bars.length - 1];
    if (ch === null || a === null || bar === undefined) return { signals: [], memory: ctx.memory };
    const close = bar.close;
    const ind = { donchian_upper: ch.upper, donchian_lower: ch.lower, atr: a, close };
    if (!ctx.position_qty.isPositive()) {
      if (ctx.pending_buy) return { signals: [], memory: ctx.memory };
      if (close > ch.upper) {
        return { signals: [{ action: 'enter', reason: 'donchian_breakout', indicators: ind }], memory: campaign(close, close, close - p.stop_atr_mult * a, false) };
      }
      return { signals: [], memory: null };
    }
    const entry = memNum(ctx.memory, 'entry') ?? close;
    const peak = Math.max(memNum(ctx.memory, 'peak') ?? close, close);
    const stop = Math.max(memNum(ctx.memory, 'stop') ?? -Infinity, peak - p.stop_atr_mult * a);
    const partial = ctx.memory?.partial_taken === true;
    const withStop = { ...ind, trailing_stop: stop, entry };
    if (ctx.pending_sell) return { signals: [], memory: campaign(entry, peak, stop, partial) };
    if (close < stop) return { signals: [{ action: 'exit', reason: 'atr_trailing_stop', indicators: withStop }], memory: campaign(entry, peak, stop, partial) };
    if (!partial && close >= entry + p.tp_atr_mult * a) {
      return { signals: [{ action: 'reduce', fraction: p.tp_fraction, reason: 'partial_take_profit', indicators: withStop }], memory: campaign(entry, peak, stop, true) };
    }
    if (partial && close > ch.upper && !ctx.pending_buy) {
      return { signals: [{ action: 'add', reason: 'reentry_breakout', indicators: withStop }], memory: campaign(close, peak, stop, false) };
    }
    return { signals: [], memory: campaign(entry, peak, stop, partial) };
  },
};
