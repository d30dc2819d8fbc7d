/**
 * Staleness of a candle series as shown to people (seed 004 section 7.3): ACTIVE (data current),
 * LATE (an update is overdue: monitor), STALE (data not updating: do not trust what depends on
 * it). Measured from the series' CTT (close of its last accepted candle): the next candle is due
 * one interval after it. LATE once it is `late_after_s` overdue, STALE once `stale_after_s`
 * overdue (defaults: a tenth of the interval and one whole interval; `warden serve
 * --late-after-s/--stale-after-s` override them).
 */
export type Staleness = 'ACTIVE' | 'LATE' | 'STALE';

export interface StalenessRule {
  late_after_s: number | null;
  stale_after_s: number | null;
}

export const DEFAULT_STALENESS: StalenessRule = { late_after_s: null, stale_after_s: null };

export function staleness(cttMs: number, intervalS: number, nowMs: number, rule: StalenessRule = DEFAULT_STALENESS): { status: Staleness; overdue_s: number; age_s: number } {
  const lateS = rule.late_after_s ?? Math.max(1, Math.round(intervalS / 10));
  const staleS = Math.max(lateS, rule.stale_after_s ?? intervalS);
  const age_s = Math.max(0, Math.floor((nowMs - cttMs) / 1000));
  const overdue_s = Math.max(0, age_s - intervalS);
  return { status: overdue_s >= staleS ? 'STALE' : overdue_s >= lateS ? 'LATE' : 'ACTIVE', overdue_s, age_s };
}
