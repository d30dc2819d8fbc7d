/**
 * The monitors' judgements as pure functions: observations in, findings out (no store, no clock:
 * the wall clock arrives as `now_ms`). ./observe.ts gathers the observations; ./run.ts records
 * the findings. Keys are the dedupe keys of audit:suggestions: they name the condition and, where
 * a condition can worsen, its severity (stale warn -> critical raises the critical one and clears
 * the warn), so each distinct open condition is raised once.
 */
import { Decimal } from '../core/money/index.js';
import type { RiskProfile, Tier } from '../core/risk/index.js';
import type { FeedStatus } from '../feeds/feed.js';
import type { Finding } from './suggestions.js';
import type { Thresholds } from './thresholds.js';

/** "BTC/USD 3600": how suggestions name a series. */
export const seriesName = (symbol: string, interval_s: number): string => `${symbol} ${interval_s}`;

const hours = (ms: number): string => `${(ms / 3600_000).toFixed(1)}h`;

export interface SeriesObservation {
  symbol: string;
  interval_s: number;
  /** Close time of the newest stored candle (CTT). */
  ctt_ms: number;
  first_open_ms: number;
  last_open_ms: number;
}

/** stale_data: the newest candle closed too long ago by the wall clock. */
export function staleData(s: SeriesObservation, now_ms: number, t: Thresholds): Finding | null {
  const age_ms = now_ms - s.ctt_ms;
  const interval_ms = s.interval_s * 1000;
  const behind = Math.floor(age_ms / interval_ms);
  if (behind <= t.stale_after_intervals) return null;
  const severity = behind > t.stale_critical_after_intervals ? 'critical' : 'warn';
  const series = seriesName(s.symbol, s.interval_s);
  return {
    monitor: 'stale_data', severity, book: null, series, key: `stale_data:${series}:${severity}`,
    message: `${series}: the newest candle closed ${hours(age_ms)} ago (${behind} intervals; threshold ${severity === 'critical' ? t.stale_critical_after_intervals : t.stale_after_intervals}): check its feed or ingest`,
    evidence: { ctt_ms: s.ctt_ms, now_ms, age_ms, intervals_behind: behind },
  };
}

/**
 * gap: missing intervals among a series' recent candles. `opens` are the open times found in
 * [from_ms, last_open_ms], oldest first; one finding per run of missing intervals.
 */
export function gaps(s: SeriesObservation, from_ms: number, opens: readonly number[]): Finding[] {
  const out: Finding[] = [];
  const step = s.interval_s * 1000;
  const series = seriesName(s.symbol, s.interval_s);
  // A window that starts before the series does is not a gap: begin at its first candle.
  let expect = Math.max(from_ms, s.first_open_ms);
  for (const o of opens) {
    if (o > expect) {
      const missing = Math.round((o - expect) / step);
      out.push({
        monitor: 'gap', severity: 'warn', book: null, series, key: `gap:${series}:${expect}`,
        message: `${series}: ${missing} candle(s) missing from ${new Date(expect).toISOString()} to ${new Date(o - step).toISOString()} (open times): backfill them or accept the gap`,
        evidence: { first_missing_open_ms: expect, last_missing_open_ms: o - step, missing_intervals: missing },
      });
    }
    expect = o + step;
  }
  return out;
}

const TIER_ORDER: readonly Tier[] = ['normal', 'reduced', 'reducing_only', 'halted'];

/** The next tier after `tier` and the drawdown (%) at which it starts, or null at halted. */
export function nextTier(profile: RiskProfile, tier: Tier): { tier: Tier; at_pct: Decimal } | null {
  const i = TIER_ORDER.indexOf(tier);
  const next = TIER_ORDER[i + 1];
  if (next === undefined) return null;
  const at_pct = next === 'reduced' ? profile.reduced_at_drawdown_pct : next === 'reducing_only' ? profile.reducing_only_at_drawdown_pct : profile.halted_at_drawdown_pct;
  return { tier: next, at_pct };
}

export interface BookMark {
  book: string;
  seq: number;
  time_ms: number;
  drawdown_pct: Decimal;
  tier: Tier;
  equity: string;
  peak_equity: string;
}

/** drawdown_near_tier: the book's drawdown (latest mark) within `drawdown_near_pct` points of its next tier. */
export function drawdownNearTier(m: BookMark, profile: RiskProfile, profileName: string, t: Thresholds): Finding | null {
  const next = nextTier(profile, m.tier);
  if (next === null) return null;
  const distance = next.at_pct.sub(m.drawdown_pct);
  if (distance.gt(t.drawdown_near_pct)) return null;
  return {
    monitor: 'drawdown_near_tier', severity: next.tier === 'halted' ? 'critical' : 'warn', book: m.book, series: null,
    key: `drawdown_near_tier:${m.book}:${next.tier}`,
    message: `${m.book}: drawdown ${m.drawdown_pct.toString()}% is ${distance.toString()} points from tier ${next.tier} (at ${next.at_pct.toString()}%, profile ${profileName}; current tier ${m.tier}): review the positions or the risk profile`,
    evidence: {
      mark_seq: m.seq, mark_time_ms: m.time_ms, drawdown_pct: m.drawdown_pct.toString(), tier: m.tier, next_tier: next.tier,
      next_tier_at_pct: next.at_pct.toString(), distance_pct: distance.toString(), near_pct: t.drawdown_near_pct.toString(),
      equity: m.equity, peak_equity: m.peak_equity, profile: profileName,
    },
  };
}

/** tick_lag: the book's last tick far behind the newest complete data of its symbols. */
export function tickLag(book: string, last_tick_ms: number, complete_ms: number, interval_s: number, t: Thresholds): Finding | null {
  const lag_ms = complete_ms - last_tick_ms;
  const behind = Math.floor(lag_ms / (interval_s * 1000));
  if (behind < t.tick_lag_intervals) return null;
  return {
    monitor: 'tick_lag', severity: 'warn', book, series: null, key: `tick_lag:${book}`,
    message: `${book}: the last tick is at ${new Date(last_tick_ms).toISOString()}, ${behind} intervals behind its newest complete data (${new Date(complete_ms).toISOString()}): is its runtime running?`,
    evidence: { last_tick_ms, complete_ms, lag_ms, intervals_behind: behind },
  };
}

/**
 * late_data: a symbol of a book whose newest candle (CTT) is behind the book's newest symbol by more
 * than the book's lateness (data.lateness_ms), in event time: the runtime runs that book's ticks
 * without it (DEGRADED, data_complete SKIPPED late:<SYMBOL>) and records its candles that arrive
 * afterwards as bar.late. `ctt` holds each symbol's CTT (null: none stored).
 */
export function lateData(book: string, ctt: Readonly<Record<string, number | null>>, interval_s: number, lateness_ms: number | null): Finding[] {
  if (lateness_ms === null) return []; // the book waits for every symbol: tick_lag says it stalls
  const values = Object.values(ctt).filter((v): v is number => v !== null);
  if (values.length === 0) return [];
  const newest = Math.max(...values);
  const out: Finding[] = [];
  for (const [symbol, v] of Object.entries(ctt)) {
    const behind_ms = v === null ? null : newest - v;
    if (behind_ms !== null && behind_ms <= lateness_ms) continue;
    const series = seriesName(symbol, interval_s);
    out.push({
      monitor: 'late_data', severity: 'warn', book, series, key: `late_data:${book}:${symbol}`,
      message: `${book}: ${symbol} has ${v === null ? 'no candle' : `no candle since ${new Date(v).toISOString()}`}, ${behind_ms === null ? 'while' : `${hours(behind_ms)} behind`} the book's other symbols (lateness ${lateness_ms} ms): its ticks run without it (DEGRADED) and its candles arriving later are recorded as late; check its feed`,
      evidence: { symbol, ctt_ms: v, newest_ctt_ms: newest, behind_ms, lateness_ms },
    });
  }
  return out;
}

/** feed_error: a feed that failed (critical) or is retrying after an error (warn). */
export function feedError(s: FeedStatus): Finding | null {
  if (s.state !== 'failed' && s.state !== 'retrying') return null;
  const severity = s.state === 'failed' ? 'critical' : 'warn';
  return {
    monitor: 'feed_error', severity, book: null, series: null, key: `feed_error:${s.name}:${s.state}`,
    message: `feed ${s.name} (${s.kind}) is ${s.state}${s.last_error === null ? '' : `: ${s.last_error}`}`,
    evidence: { feed: s.name, kind: s.kind, state: s.state, last_error: s.last_error, last_error_ms: s.last_error_ms, retries: s.retries, ctt_ms: s.ctt_ms },
  };
}
