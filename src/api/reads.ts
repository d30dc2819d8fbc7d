/**
 * The API's SQL reads over the event store's tables: book streams, typed pages of a stream (keyset
 * on seq, through the index events(stream, type, seq) of migrations 0004-0005, which holds every
 * type but bar.closed, step.started and mark.recorded: their pages walk the primary key), the
 * newest event of a type, and marks downsampled in the database (the newest mark per time bucket: bounded points whatever the
 * range). Reads only: nothing here takes a lease or writes.
 */
import { decodeEventBody } from '../core/events/index.js';
import type { CanonicalValue } from '../core/canonical/index.js';
import { toHex } from '../core/canonical/hash.js';
import { toInt, type Db } from '../store/db.js';
import { byteaColumn, bytesOf } from '../store/event-store.js';
import { BOOK_STREAMS_MAX } from './limits.js';

export interface EventRow {
  seq: number;
  type: string;
  time_ms: number;
  payload: CanonicalValue;
  hash?: string;
  prev_hash?: string;
}

export interface BookStream {
  stream: string;
  kind: 'runtime' | 'backtest';
  book_id: string;
  run_id: string | null;
  head_seq: number;
  head_hash: string;
  lease_owner: string | null;
  lease_live: boolean;
}

export const BOOK_STREAM_RE = /^(book:[a-z0-9][a-z0-9_.-]{0,63}|backtest:[a-z0-9][a-z0-9_.-]{0,63}:[a-z0-9]{1,64})$/;

export function parseBookStream(stream: string): { kind: 'runtime' | 'backtest'; book_id: string; run_id: string | null } | null {
  if (!BOOK_STREAM_RE.test(stream)) return null;
  const parts = stream.split(':');
  return parts[0] === 'book' ? { kind: 'runtime', book_id: parts[1]!, run_id: null } : { kind: 'backtest', book_id: parts[1]!, run_id: parts[2]! };
}

export async function bookStreams(db: Db): Promise<BookStream[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT stream, head_seq, ${byteaColumn(db.engine, 'head_hash')}, lease_owner, (lease_owner IS NOT NULL AND lease_expires_at > now()) AS lease_live
       FROM streams WHERE stream LIKE 'book:%' OR stream LIKE 'backtest:%' ORDER BY stream LIMIT $1`, [BOOK_STREAMS_MAX],
  );
  const out: BookStream[] = [];
  for (const r of rows) {
    const p = parseBookStream(String(r.stream));
    if (p === null) continue;
    out.push({
      stream: String(r.stream), ...p, head_seq: toInt(r.head_seq, 'head_seq'), head_hash: toHex(bytesOf(r.head_hash)),
      lease_owner: (r.lease_owner as string | null) ?? null, lease_live: Boolean(r.lease_live),
    });
  }
  return out;
}

export async function bookStream(db: Db, stream: string): Promise<BookStream | null> {
  return (await bookStreams(db)).find((s) => s.stream === stream) ?? null;
}

function rowOf(r: Record<string, unknown>, withHashes: boolean): EventRow {
  const body = bytesOf(r.body);
  const e: EventRow = { seq: toInt(r.seq, 'seq'), type: String(r.type), time_ms: toInt(r.time_ms, 'time_ms'), payload: decodeEventBody(body).payload };
  if (withHashes) {
    e.hash = toHex(bytesOf(r.hash));
    e.prev_hash = toHex(bytesOf(r.prev_hash));
  }
  return e;
}

export interface TypedPageQuery {
  /** Event types to return; empty = every type. At most TYPES_PER_QUERY_MAX. */
  types: readonly string[];
  afterSeq: number;
  /** Inclusive upper seq bound (the caller's to_seq), or null. */
  toSeq: number | null;
  limit: number;
  headSeq: number;
  withHashes?: boolean;
  /** Event time bounds, inclusive (only with types). */
  fromMs?: number | null;
  toMs?: number | null;
}

/** Types one typed page may name (each is one range scan of events_stream_type_seq). */
export const TYPES_PER_QUERY_MAX = 16;

/**
 * One page: events with seq in (afterSeq, min(toSeq, head)] of the given types (and event time
 * range), oldest first, at most `limit`; `next_after_seq` continues it (null at the end). Typed:
 * one range scan per type of the index events(stream, type, seq) (migration 0005; bar.closed,
 * step.started and mark.recorded, which it leaves out, of the primary key: a few rows scanned per
 * match), merged by seq,
 * and only the page's rows are fetched: a rare type costs what it returns, not the stream's
 * length. Untyped: a range of the primary key.
 */
export async function typedPage(db: Db, stream: string, q: TypedPageQuery): Promise<{ items: EventRow[]; next_after_seq: number | null }> {
  const stop = Math.min(q.toSeq ?? Number.MAX_SAFE_INTEGER, q.headSeq);
  if (stop <= q.afterSeq) return { items: [], next_after_seq: null };
  if (q.types.length > TYPES_PER_QUERY_MAX) throw new RangeError(`typedPage: ${q.types.length} types (max ${TYPES_PER_QUERY_MAX})`);
  const col = (c: string) => byteaColumn(db.engine, c);
  const cols = `seq, type, time_ms, ${col('body')}${q.withHashes ? `, ${col('hash')}, ${col('prev_hash')}` : ''}`;
  let rows: Record<string, unknown>[];
  if (q.types.length === 0) {
    // one window of seqs no wider than the page (a stream's seqs are dense), not the whole rest of the
    // stream under the LIMIT: stale statistics after a long append plan that as a bitmap scan of it all (EventStore.readRows)
    rows = await db.query(`SELECT ${cols} FROM events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`, [stream, q.afterSeq, Math.min(stop, q.afterSeq + q.limit), q.limit]);
  } else {
    const params: unknown[] = [stream, q.afterSeq, stop, q.limit, q.fromMs ?? 0, q.toMs ?? Number.MAX_SAFE_INTEGER];
    const scans = q.types.map((t) => {
      params.push(t);
      return `(SELECT seq FROM events WHERE stream = $1 AND type = $${params.length} AND seq > $2 AND seq <= $3 AND time_ms >= $5 AND time_ms <= $6 ORDER BY seq LIMIT $4)`;
    });
    rows = await db.query(
      `SELECT ${cols} FROM events WHERE stream = $1 AND seq IN (SELECT seq FROM (${scans.join(' UNION ALL ')}) AS picked ORDER BY seq LIMIT $4) ORDER BY seq`, params,
    );
  }
  const items = rows.map((r) => rowOf(r, q.withHashes === true));
  const last = items.length === q.limit ? items[items.length - 1]!.seq : stop;
  return { items, next_after_seq: last >= stop ? null : last };
}

/** The newest event of `type` in a stream (a backward walk of the primary key; cheap for frequent types such as marks). */
export async function latestOfType(db: Db, stream: string, type: string): Promise<EventRow | null> {
  const [r] = await db.query<Record<string, unknown>>(
    `SELECT seq, type, time_ms, ${byteaColumn(db.engine, 'body')} FROM events WHERE stream = $1 AND type = $2 ORDER BY seq DESC LIMIT 1`, [stream, type],
  );
  return r ? rowOf(r, false) : null;
}

/** The oldest event of `type` in a stream. */
export async function firstOfType(db: Db, stream: string, type: string): Promise<EventRow | null> {
  const [r] = await db.query<Record<string, unknown>>(
    `SELECT seq, type, time_ms, ${byteaColumn(db.engine, 'body')} FROM events WHERE stream = $1 AND type = $2 ORDER BY seq LIMIT 1`, [stream, type],
  );
  return r ? rowOf(r, false) : null;
}

/**
 * Marks in [fromMs, toMs], at most `points`: the range is cut into `points` equal time buckets
 * and the newest mark of each is returned (the equity at the bucket's end), oldest first. Done in
 * SQL: only the chosen rows' bodies leave the database.
 */
export async function downsampledMarks(db: Db, stream: string, fromMs: number, toMs: number, points: number): Promise<EventRow[]> {
  const width = Math.max(1, Math.ceil((toMs - fromMs + 1) / points));
  const rows = await db.query<Record<string, unknown>>(
    `SELECT seq, type, time_ms, ${byteaColumn(db.engine, 'body')} FROM events WHERE (stream, seq) IN (
       SELECT stream, max(seq) FROM events WHERE stream = $1 AND type = 'mark.recorded' AND time_ms >= $2 AND time_ms <= $3
        GROUP BY stream, (time_ms - $2) / $4)
      ORDER BY seq`,
    [stream, fromMs, toMs, width],
  );
  return rows.map((r) => rowOf(r, false));
}

/** Fills of a stream whose events fall in [fromMs, toMs] (event time), oldest first, at most `limit`. */
export async function fillsInRange(db: Db, stream: string, fromMs: number, toMs: number, limit: number): Promise<EventRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT seq, type, time_ms, ${byteaColumn(db.engine, 'body')} FROM events
      WHERE stream = $1 AND type = 'fill.executed' AND time_ms >= $2 AND time_ms <= $3 ORDER BY seq LIMIT $4`,
    [stream, fromMs, toMs, limit],
  );
  return rows.map((r) => rowOf(r, false));
}

export interface CandleRow {
  open_time_ms: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

/** The newest `limit` candles of a series with fromMs <= open < toMs, oldest first (exact decimal text as stored). */
export async function latestCandles(db: Db, symbol: string, intervalS: number, fromMs: number, toMs: number, limit: number): Promise<CandleRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT open_time_ms, open, high, low, close, volume FROM candles
      WHERE symbol = $1 AND interval_s = $2 AND open_time_ms >= $3 AND open_time_ms < $4 ORDER BY open_time_ms DESC LIMIT $5`,
    [symbol, intervalS, fromMs, toMs, limit],
  );
  return rows.reverse().map((r) => ({
    open_time_ms: toInt(r.open_time_ms, 'open_time_ms'), open: String(r.open), high: String(r.high), low: String(r.low), close: String(r.close), volume: String(r.volume),
  }));
}
