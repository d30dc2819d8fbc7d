/**
 * What the monitors look at, read from the store (reads only: no lease, no write): the stored
 * series (CTT, recent open times), the books' streams, each book's latest mark.recorded, its
 * risk profile in force and its symbols. Small indexed queries: a pass costs a few rows per
 * series and per book, never a history.
 */
import { resolveBook } from '../core/book/index.js';
import { Decimal } from '../core/money/index.js';
import { TIERS, resolveRiskProfile, type RiskProfile, type RiskOverrides, type Tier } from '../core/risk/index.js';
import type { Db } from '../store/db.js';
import { byteaColumn, bytesOf, type EventStore } from '../store/event-store.js';
import { decodeEventBody } from '../core/events/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import type { BookMark, SeriesObservation } from './checks.js';
import { BOOKS_MONITORED_MAX, SERIES_MONITORED_MAX } from './thresholds.js';

const int = (v: unknown, what: string): number => {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : (v as number);
  if (!Number.isSafeInteger(n)) throw new Error(`monitors: ${what} is not an integer (${String(v)})`);
  return n;
};

export async function seriesObservations(db: Db): Promise<SeriesObservation[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT symbol, interval_s, first_open_ms, last_open_ms, ctt_ms FROM market_series ORDER BY symbol, interval_s LIMIT $1', [SERIES_MONITORED_MAX + 1],
  );
  if (rows.length > SERIES_MONITORED_MAX) throw new RangeError(`monitors: more than ${SERIES_MONITORED_MAX} series stored (SERIES_MONITORED_MAX)`);
  return rows.map((r) => ({
    symbol: String(r.symbol), interval_s: int(r.interval_s, 'interval_s'), first_open_ms: int(r.first_open_ms, 'first_open_ms'),
    last_open_ms: int(r.last_open_ms, 'last_open_ms'), ctt_ms: int(r.ctt_ms, 'ctt_ms'),
  }));
}

/** Open times of a series in [from_ms, to_ms], oldest first (at most `max`). */
export async function openTimes(db: Db, symbol: string, interval_s: number, from_ms: number, to_ms: number, max: number): Promise<number[]> {
  const rows = await db.query<{ t: unknown }>(
    'SELECT open_time_ms AS t FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms >= $3 AND open_time_ms <= $4 ORDER BY open_time_ms LIMIT $5',
    [symbol, interval_s, from_ms, to_ms, max],
  );
  return rows.map((r) => int(r.t, 'open_time_ms'));
}

/** The runtime books' streams (book:<id>), or the ones named (an id or a full stream name). */
export async function bookStreams(store: EventStore, named?: readonly string[]): Promise<string[]> {
  if (named !== undefined && named.length > 0) return named.map((b) => (b.includes(':') ? b : `book:${b}`));
  const all = (await store.streams()).map((s) => s.stream).filter((s) => s.startsWith('book:'));
  if (all.length > BOOKS_MONITORED_MAX) throw new RangeError(`monitors: more than ${BOOKS_MONITORED_MAX} books (BOOKS_MONITORED_MAX)`);
  return all;
}

/** How suggestions name a book: the id of book:<id>, else the stream name (a backtest run). */
export const bookLabel = (stream: string): string => (stream.startsWith('book:') ? stream.slice('book:'.length) : stream);

async function latest(db: Db, stream: string, type: string, first = false, afterSeq = 0): Promise<{ seq: number; time_ms: number; payload: Record<string, CanonicalValue> } | null> {
  const [r] = await db.query<Record<string, unknown>>(
    `SELECT seq, time_ms, ${byteaColumn(db.engine, 'body')} FROM events WHERE stream = $1 AND seq > $3 AND type = $2 ORDER BY seq ${first ? 'ASC' : 'DESC'} LIMIT 1`, [stream, type, afterSeq],
  );
  if (!r) return null;
  const payload = decodeEventBody(bytesOf(r.body)).payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new Error(`${stream} seq ${String(r.seq)}: ${type} payload is not an object`);
  return { seq: int(r.seq, 'seq'), time_ms: int(r.time_ms, 'time_ms'), payload: payload as Record<string, CanonicalValue> };
}

export async function latestMark(db: Db, stream: string): Promise<BookMark | null> {
  const m = await latest(db, stream, 'mark.recorded');
  if (m === null) return null;
  const tier = String(m.payload.tier) as Tier;
  if (!TIERS.includes(tier)) throw new Error(`${stream} seq ${m.seq}: mark.recorded tier ${JSON.stringify(tier)} is not one of ${TIERS.join(', ')}`);
  return {
    book: bookLabel(stream), seq: m.seq, time_ms: m.time_ms, drawdown_pct: Decimal.parse(String(m.payload.drawdown_pct), 'drawdown_pct'), tier,
    equity: String(m.payload.equity), peak_equity: String(m.payload.peak_equity),
  };
}

export interface BookFacts {
  symbols: string[];
  interval_s: number;
  /** data.lateness_ms resolved (null: the book waits for every symbol). */
  lateness_ms: number | null;
  profile: RiskProfile;
  profile_name: string;
}

/**
 * What a long-lived monitor (the runtime's) remembers between passes: each book's facts and the
 * seq up to which its stream was searched for a profile change, so a pass reads only what was
 * appended since (no event-type index: a search from genesis every 30 s would grow with the log).
 */
export class ObserveCache {
  readonly books = new Map<string, { facts: BookFacts; scanned_seq: number }>();
}

/** The book's symbols and interval (its recorded config) and the risk profile in force; null before book.started. */
export async function bookFacts(db: Db, stream: string, cache: ObserveCache = new ObserveCache()): Promise<BookFacts | null> {
  const [h] = await db.query<{ head_seq: unknown }>('SELECT head_seq FROM streams WHERE stream = $1', [stream]);
  const head = h ? int(h.head_seq, 'head_seq') : 0;
  let known = cache.books.get(stream);
  if (known === undefined) {
    const started = await latest(db, stream, 'book.started', true);
    if (started === null) return null;
    const book = resolveBook(started.payload.config);
    const cfg = started.payload.config as { risk?: { profile?: unknown } } | null;
    const name = typeof cfg?.risk?.profile === 'string' ? cfg.risk.profile : `${book.profile.id}@${book.profile.version}`;
    known = { facts: { symbols: [...book.symbols], interval_s: book.interval_s, lateness_ms: book.lateness_ms, profile: book.profile, profile_name: name }, scanned_seq: 0 };
    cache.books.set(stream, known);
  }
  if (head > known.scanned_seq) {
    const changed = await latest(db, stream, 'risk.profile_changed', false, known.scanned_seq);
    if (changed !== null) {
      const name = String(changed.payload.profile);
      known.facts = { ...known.facts, profile: resolveRiskProfile(name, changed.payload.overrides as RiskOverrides), profile_name: name };
    }
    known.scanned_seq = head;
  }
  return known.facts;
}
