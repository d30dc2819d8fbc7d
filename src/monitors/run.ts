/**
 * One monitor pass (the application service behind `warden monitors run` and the runtime's
 * timer): observe (./observe.ts), judge (./checks.ts), record what changed in audit:suggestions
 * (./suggestions.ts) and log each new finding as a `suggestion` line. Monitors never act: the
 * only write is the audit stream, and a pass that finds what the last one found writes nothing.
 *
 * Clearing is bounded by what the pass actually looked at: a book that could not be read (its
 * config unresolvable, say), a book not named by --book, or feeds when no feed host runs (the CLI)
 * keep their open suggestions as they are. A failure of one monitor is reported in the result and
 * logged (monitor_failed); the others still run.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Db } from '../store/db.js';
import type { EventStore } from '../store/event-store.js';
import type { FeedStatus } from '../feeds/feed.js';
import { drawdownNearTier, feedError, gaps, lateData, staleData, tickLag } from './checks.js';
import { ObserveCache, bookFacts, bookLabel, bookStreams, latestMark, openTimes, seriesObservations } from './observe.js';
import { MONITORS, SuggestionLedger, recordFindings, type Finding, type MonitorName, type OpenSuggestion, type Suggestion, type SuggestionCleared } from './suggestions.js';
import { FEEDS_MONITORED_MAX, checkThresholds, type Thresholds } from './thresholds.js';

export interface MonitorPassOptions {
  thresholds: Thresholds;
  /** The wall clock of the process (stale data and observed_at_ms are measured against it). */
  now_ms: number;
  /** Only these books (ids or stream names) for the book monitors; default every book:<id>. */
  books?: readonly string[];
  /** The feeds' statuses when a feed host runs in this process (the runtime); absent: feed_error does not run. */
  feeds?: () => readonly FeedStatus[];
  /** Who writes (host:pid, cli:user@host). */
  owner: string;
  log: Logger;
  /** A long-lived holder (the runtime) passes its ledger: each audit event is verified once. */
  ledger?: SuggestionLedger;
  /** ... and its observation cache: each book event is searched once. */
  cache?: ObserveCache;
}

export interface MonitorPassResult {
  now_ms: number;
  ran: MonitorName[];
  findings: Finding[];
  raised: Suggestion[];
  cleared: SuggestionCleared[];
  unchanged: number;
  failures: { monitor: MonitorName; book: string | null; reason: string }[];
  head_seq: number;
}

/** Runs every monitor once and records what changed. */
export async function runMonitors(db: Db, store: EventStore, o: MonitorPassOptions): Promise<MonitorPassResult> {
  const t = checkThresholds(o.thresholds);
  const findings: Finding[] = [];
  const failures: MonitorPassResult['failures'] = [];
  const ran = new Set<MonitorName>();
  const booksSeen = { drawdown_near_tier: new Set<string>(), tick_lag: new Set<string>(), late_data: new Set<string>() };
  const fail = (monitor: MonitorName, book: string | null, e: unknown) => {
    const reason = e instanceof Error ? e.message : String(e);
    failures.push({ monitor, book, reason });
    o.log.warn({ event: 'monitor_failed', monitor, book, reason });
  };

  // Series: stale data and gaps.
  let series: Awaited<ReturnType<typeof seriesObservations>> = [];
  try {
    series = await seriesObservations(db);
    for (const s of series) {
      const f = staleData(s, o.now_ms, t);
      if (f) findings.push(f);
    }
    ran.add('stale_data');
  } catch (e) {
    fail('stale_data', null, e);
  }
  try {
    for (const s of series) {
      const step = s.interval_s * 1000;
      const from = s.last_open_ms - (t.gap_lookback_intervals - 1) * step;
      findings.push(...gaps(s, from, await openTimes(db, s.symbol, s.interval_s, from, s.last_open_ms, t.gap_lookback_intervals)));
    }
    if (!failures.some((x) => x.monitor === 'stale_data')) ran.add('gap');
  } catch (e) {
    fail('gap', null, e);
  }

  // Books: drawdown near a tier, tick lag.
  let streams: string[] = [];
  try {
    streams = await bookStreams(store, o.books);
    ran.add('drawdown_near_tier');
    ran.add('tick_lag');
    ran.add('late_data');
  } catch (e) {
    fail('drawdown_near_tier', null, e);
  }
  for (const stream of streams) {
    const book = bookLabel(stream);
    try {
      const facts = await bookFacts(db, stream, o.cache);
      const mark = facts === null ? null : await latestMark(db, stream);
      if (facts !== null && mark !== null) {
        const f = drawdownNearTier(mark, facts.profile, facts.profile_name, t);
        if (f) findings.push(f);
      }
      booksSeen.drawdown_near_tier.add(book);
      // Tick lag is a runtime book's: a backtest run covers a range, it does not follow the data.
      if (facts !== null && mark !== null && stream.startsWith('book:')) {
        const cts = facts.symbols.map((sym) => series.find((s) => s.symbol === sym && s.interval_s === facts.interval_s)?.ctt_ms);
        if (cts.every((c): c is number => c !== undefined)) {
          const f = tickLag(book, mark.time_ms, Math.min(...cts), facts.interval_s, t);
          if (f) findings.push(f);
        }
      }
      booksSeen.tick_lag.add(book);
      // Late data: a runtime book with several symbols, one of which lags the others past the lateness.
      if (facts !== null && stream.startsWith('book:') && facts.symbols.length > 1) {
        const ctt: Record<string, number | null> = {};
        for (const sym of facts.symbols) ctt[sym] = series.find((s) => s.symbol === sym && s.interval_s === facts.interval_s)?.ctt_ms ?? null;
        findings.push(...lateData(book, ctt, facts.interval_s, facts.lateness_ms));
      }
      booksSeen.late_data.add(book);
    } catch (e) {
      fail('drawdown_near_tier', book, e);
    }
  }

  // Feeds: only where a feed host runs.
  if (o.feeds) {
    try {
      const statuses = o.feeds();
      if (statuses.length > FEEDS_MONITORED_MAX) throw new RangeError(`monitors: more than ${FEEDS_MONITORED_MAX} feeds`);
      for (const s of statuses) {
        const f = feedError(s);
        if (f) findings.push(f);
      }
      ran.add('feed_error');
    } catch (e) {
      fail('feed_error', null, e);
    }
  }

  const covered = (s: OpenSuggestion): boolean => {
    if (!ran.has(s.monitor)) return false;
    if (s.monitor === 'drawdown_near_tier' || s.monitor === 'tick_lag' || s.monitor === 'late_data') {
      // Only the books this pass read: another book's suggestions stay as they are.
      return s.book !== null && booksSeen[s.monitor].has(s.book);
    }
    return true;
  };
  const r = await recordFindings(store, o.ledger ?? new SuggestionLedger(), findings, covered, { owner: o.owner, time_ms: o.now_ms });
  for (const s of r.raised) {
    // the contract's fields, book null included (it then overrides the book a runtime's logger binds: the suggestion is about no book)
    const line = { event: 'suggestion', monitor: s.monitor, book: s.book, series: s.series, severity: s.severity, key: s.key, message: s.message };
    if (s.severity === 'info') o.log.info(line, 'suggestion');
    else o.log.warn(line, 'suggestion');
  }
  for (const c of r.cleared) o.log.info({ event: 'suggestion_cleared', monitor: c.monitor, key: c.key }, 'suggestion_cleared');
  return { now_ms: o.now_ms, ran: MONITORS.filter((m) => ran.has(m)), findings, raised: r.raised, cleared: r.cleared, unchanged: r.unchanged, failures, head_seq: r.head_seq };
}
