/**
 * Market-data storage (migrations/0002_market_data.sql): canonical candles, their raw source
 * rows, ingestion batches (accepted and rejected) and the series heads (CTT).
 *
 * Writes happen only inside the ingest gate's transaction (src/ingest/ingest.ts) through a
 * CandleWriter bound to that transaction: all of a batch or nothing. Reads are for everyone:
 * loadCandles / iterateCandles give the kernel exact Candle values (Decimal.parse of the stored
 * canonical text), never floats.
 */
import { Decimal } from '../core/money/decimal.js';
import type { Candle, MarketCandle } from '../core/market/candle.js';
import { toInt, type Db, type Queryable } from './db.js';

/** Limits. */
export const CANDLE_INSERT_ROWS_MAX = 10_000;
export const CANDLE_READ_BATCH_MAX = 10_000;
export const CANDLE_LOAD_ROWS_MAX = 5_000_000;

export type BatchStatus = 'accepted' | 'rejected' | 'quarantined';

export interface BatchRecord {
  id: number;
  source_name: string;
  source_sha256: string;
  format: string;
  symbol: string;
  interval_s: number;
  status: BatchStatus;
  rows_read: number;
  accepted: number;
  duplicates: number;
  held_back: number;
  gap_count: number;
  gap_intervals: number;
  first_open_ms: number | null;
  last_open_ms: number | null;
  /** Canonical JSON text. */
  report: string;
}

export interface SeriesHead {
  symbol: string;
  interval_s: number;
  first_open_ms: number;
  last_open_ms: number;
  ctt_ms: number;
  rows: number;
  last_batch_id: number;
}

export interface RawRow {
  line: number;
  raw: string;
}

export interface StoredCandle extends MarketCandle {
  batch_id: number;
}

const COLS = 'symbol, interval_s, open_time_ms, open, high, low, close, volume, vwap, trades';

function rowToCandle(r: Record<string, unknown>): MarketCandle {
  const where = `candle ${String(r.symbol)} ${String(r.interval_s)}s @${String(r.open_time_ms)}`;
  return {
    symbol: String(r.symbol),
    interval_s: toInt(r.interval_s, 'interval_s'),
    open_time_ms: toInt(r.open_time_ms, 'open_time_ms'),
    open: Decimal.parse(String(r.open), `${where} open`),
    high: Decimal.parse(String(r.high), `${where} high`),
    low: Decimal.parse(String(r.low), `${where} low`),
    close: Decimal.parse(String(r.close), `${where} close`),
    volume: Decimal.parse(String(r.volume), `${where} volume`),
    vwap: r.vwap === null || r.vwap === undefined ? null : Decimal.parse(String(r.vwap), `${where} vwap`),
    count: r.trades === null || r.trades === undefined ? null : toInt(r.trades, `${where} trades`),
  };
}

/**
 * A candle for the kernel. Sources without a trade count (generic OHLCV CSV) store count NULL;
 * the kernel's Candle has a number, so such a candle reads as 0 trades if its volume is 0 (a
 * no-trade interval, which is what it is) and as 1 trade otherwise (at least one trade happened;
 * the exact number is unknown). Kraken candles always carry their true count.
 */
export function toKernelCandle(c: MarketCandle): Candle {
  if (c.count !== null) return c as Candle;
  return { ...c, count: c.volume.isZero() ? 0 : 1 };
}

function rowToBatch(r: Record<string, unknown>): BatchRecord {
  const n = (k: string) => toInt(r[k], k);
  const nn = (k: string) => (r[k] === null || r[k] === undefined ? null : toInt(r[k], k));
  return {
    id: n('id'), source_name: String(r.source_name), source_sha256: String(r.source_sha256), format: String(r.format),
    symbol: String(r.symbol), interval_s: n('interval_s'), status: String(r.status) as BatchStatus, rows_read: n('rows_read'),
    accepted: n('accepted'), duplicates: n('duplicates'), held_back: n('held_back'), gap_count: n('gap_count'),
    gap_intervals: n('gap_intervals'), first_open_ms: nn('first_open_ms'), last_open_ms: nn('last_open_ms'), report: String(r.report),
  };
}

/** Writes of one batch, bound to the gate's transaction. */
export class CandleWriter {
  constructor(private readonly q: Queryable, readonly batchId: number) {}

  /** Stored candles of a series at the given open times (to tell duplicates from conflicts). */
  async existing(symbol: string, interval_s: number, open_times_ms: readonly number[]): Promise<Map<number, MarketCandle>> {
    if (open_times_ms.length === 0) return new Map();
    const rows = await this.q.query<Record<string, unknown>>(
      `SELECT ${COLS} FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms = ANY($3::bigint[])`,
      [symbol, interval_s, open_times_ms],
    );
    return new Map(rows.map((r) => { const c = rowToCandle(r); return [c.open_time_ms, c]; }));
  }

  /** The stored candle with the greatest open time at or before `at_ms` (continuity across batches). */
  async candleAtOrBefore(symbol: string, interval_s: number, at_ms: number): Promise<MarketCandle | null> {
    return candleAtOrBefore(this.q, symbol, interval_s, at_ms);
  }

  async insertCandles(candles: readonly MarketCandle[]): Promise<void> {
    if (candles.length === 0) return;
    if (candles.length > CANDLE_INSERT_ROWS_MAX) throw new RangeError(`insertCandles: ${candles.length} rows in one call (max ${CANDLE_INSERT_ROWS_MAX})`);
    const s = (f: (c: MarketCandle) => Decimal) => candles.map((c) => f(c).toString());
    const [r] = await this.q.query<{ n: unknown }>(
      `WITH ins AS (
         INSERT INTO candles (${COLS}, batch_id)
         SELECT $1, $2, u.t, u.o, u.h, u.l, u.c, u.v, u.w, u.n, $11
           FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[])
                AS u(t, o, h, l, c, v, w, n)
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [
        candles[0]!.symbol, candles[0]!.interval_s, candles.map((c) => c.open_time_ms),
        s((c) => c.open), s((c) => c.high), s((c) => c.low), s((c) => c.close), s((c) => c.volume),
        candles.map((c) => (c.vwap === null ? null : c.vwap.toString())), candles.map((c) => c.count),
        this.batchId,
      ],
    );
    const n = toInt(r?.n, 'inserted');
    if (n !== candles.length) throw new Error(`insertCandles: inserted ${n} of ${candles.length}`);
  }

  async insertRaw(rows: readonly RawRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (rows.length > CANDLE_INSERT_ROWS_MAX) throw new RangeError(`insertRaw: ${rows.length} rows in one call (max ${CANDLE_INSERT_ROWS_MAX})`);
    await this.q.query(
      'INSERT INTO raw_rows (batch_id, line, raw) SELECT $1, u.l, u.r FROM unnest($2::int[], $3::text[]) AS u(l, r)',
      [this.batchId, rows.map((r) => r.line), rows.map((r) => r.raw)],
    );
  }

  /** Moves the series head to cover [first, last] with `added` more rows. */
  async advanceSeries(symbol: string, interval_s: number, first_open_ms: number, last_open_ms: number, added: number): Promise<void> {
    if (added === 0) return;
    const ctt = last_open_ms + interval_s * 1000;
    await this.q.query(
      `INSERT INTO market_series (symbol, interval_s, first_open_ms, last_open_ms, ctt_ms, rows, last_batch_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (symbol, interval_s) DO UPDATE SET
         first_open_ms = LEAST(market_series.first_open_ms, EXCLUDED.first_open_ms),
         last_open_ms  = GREATEST(market_series.last_open_ms, EXCLUDED.last_open_ms),
         ctt_ms        = GREATEST(market_series.ctt_ms, EXCLUDED.ctt_ms),
         rows          = market_series.rows + EXCLUDED.rows,
         last_batch_id = EXCLUDED.last_batch_id`,
      [symbol, interval_s, first_open_ms, last_open_ms, ctt, added, this.batchId],
    );
  }

  async insertBatch(b: Omit<BatchRecord, 'id'>): Promise<void> {
    await insertBatchRow(this.q, { ...b, id: this.batchId });
  }
}

async function candleAtOrBefore(q: Queryable, symbol: string, interval_s: number, at_ms: number): Promise<MarketCandle | null> {
  const [r] = await q.query<Record<string, unknown>>(
    `SELECT ${COLS} FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms <= $3 ORDER BY open_time_ms DESC LIMIT 1`,
    [symbol, interval_s, at_ms],
  );
  return r ? rowToCandle(r) : null;
}

async function insertBatchRow(q: Queryable, b: BatchRecord): Promise<void> {
  await q.query(
    `INSERT INTO ingest_batches (id, source_name, source_sha256, format, symbol, interval_s, status, rows_read, accepted,
       duplicates, held_back, gap_count, gap_intervals, first_open_ms, last_open_ms, report)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [b.id, b.source_name, b.source_sha256, b.format, b.symbol, b.interval_s, b.status, b.rows_read, b.accepted,
      b.duplicates, b.held_back, b.gap_count, b.gap_intervals, b.first_open_ms, b.last_open_ms, b.report],
  );
}

export class CandleStore {
  constructor(readonly db: Db) {}

  async nextBatchId(q: Queryable = this.db): Promise<number> {
    const [r] = await q.query<{ id: unknown }>(`SELECT nextval('ingest_batch_id_seq') AS id`);
    return toInt(r?.id, 'batch id');
  }

  /** Runs fn with a writer in one transaction: everything it wrote commits together or not at all. */
  async inTransaction<T>(fn: (w: CandleWriter) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => fn(new CandleWriter(tx, await this.nextBatchId(tx))));
  }

  /** Records a rejected or quarantined batch (the only thing a failed batch writes). */
  async recordFailedBatch(b: Omit<BatchRecord, 'id'>): Promise<number> {
    if (b.status === 'accepted') throw new Error('recordFailedBatch: status must be rejected or quarantined');
    const id = await this.nextBatchId();
    await insertBatchRow(this.db, { ...b, id });
    return id;
  }

  /** The accepted batch that already ingested these exact bytes into this series, if any. */
  async acceptedBatchFor(sha256: string, symbol: string, interval_s: number): Promise<BatchRecord | null> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM ingest_batches WHERE source_sha256 = $1 AND symbol = $2 AND interval_s = $3 AND status = 'accepted' ORDER BY id LIMIT 1`,
      [sha256, symbol, interval_s],
    );
    return r ? rowToBatch(r) : null;
  }

  async series(): Promise<SeriesHead[]> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT * FROM market_series ORDER BY symbol, interval_s');
    return rows.map((r) => ({
      symbol: String(r.symbol), interval_s: toInt(r.interval_s, 'interval_s'), first_open_ms: toInt(r.first_open_ms, 'first_open_ms'),
      last_open_ms: toInt(r.last_open_ms, 'last_open_ms'), ctt_ms: toInt(r.ctt_ms, 'ctt_ms'), rows: toInt(r.rows, 'rows'),
      last_batch_id: toInt(r.last_batch_id, 'last_batch_id'),
    }));
  }

  async seriesHead(symbol: string, interval_s: number): Promise<SeriesHead | null> {
    return (await this.series()).find((s) => s.symbol === symbol && s.interval_s === interval_s) ?? null;
  }

  async candleAtOrBefore(symbol: string, interval_s: number, at_ms: number): Promise<MarketCandle | null> {
    return candleAtOrBefore(this.db, symbol, interval_s, at_ms);
  }

  /** Gaps of a stored series: count, missing intervals in total and the largest (SQL window). */
  async gapStats(symbol: string, interval_s: number): Promise<{ gap_count: number; gap_intervals: number; gap_intervals_max: number }> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT count(*) FILTER (WHERE d > 1)::int AS gap_count,
              COALESCE(sum(d - 1) FILTER (WHERE d > 1), 0)::bigint AS gap_intervals,
              COALESCE(max(d - 1), 0)::bigint AS gap_intervals_max
         FROM (SELECT (open_time_ms - lag(open_time_ms) OVER (ORDER BY open_time_ms)) / ($3::bigint * 1000) AS d
                 FROM candles WHERE symbol = $1 AND interval_s = $2) s`,
      [symbol, interval_s, interval_s],
    );
    return { gap_count: toInt(r?.gap_count, 'gap_count'), gap_intervals: toInt(r?.gap_intervals, 'gap_intervals'), gap_intervals_max: Math.max(0, toInt(r?.gap_intervals_max, 'gap_intervals_max')) };
  }

  /** The newest rejected or quarantined batch of a series, if any. */
  async lastRejection(symbol: string, interval_s: number): Promise<BatchRecord | null> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM ingest_batches WHERE symbol = $1 AND interval_s = $2 AND status <> 'accepted' ORDER BY id DESC LIMIT 1`,
      [symbol, interval_s],
    );
    return r ? rowToBatch(r) : null;
  }

  async batches(limit = 100): Promise<BatchRecord[]> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT * FROM ingest_batches ORDER BY id DESC LIMIT $1', [Math.min(limit, 10_000)]);
    return rows.map(rowToBatch);
  }

  async rawRows(batchId: number, fromLine = 1, limit = 1000): Promise<RawRow[]> {
    const rows = await this.db.query<{ line: unknown; raw: string }>(
      'SELECT line, raw FROM raw_rows WHERE batch_id = $1 AND line >= $2 ORDER BY line LIMIT $3', [batchId, fromLine, Math.min(limit, CANDLE_READ_BATCH_MAX)],
    );
    return rows.map((r) => ({ line: toInt(r.line, 'line'), raw: r.raw }));
  }

  /**
   * Candles of (symbol, interval_s) with from_ms <= open_time_ms < to_ms, oldest first, in
   * batches of `batchSize` (keyset pagination: bounded memory however long the range).
   */
  async *iterateCandles(symbol: string, interval_s: number, from_ms: number, to_ms: number, batchSize = 5000): AsyncGenerator<MarketCandle[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > CANDLE_READ_BATCH_MAX) {
      throw new RangeError(`iterateCandles: batchSize must be 1..${CANDLE_READ_BATCH_MAX}, got ${batchSize}`);
    }
    let next = from_ms;
    while (next < to_ms) {
      const rows = await this.db.query<Record<string, unknown>>(
        `SELECT ${COLS} FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms >= $3 AND open_time_ms < $4
          ORDER BY open_time_ms LIMIT $5`,
        [symbol, interval_s, next, to_ms, batchSize],
      );
      if (rows.length === 0) return;
      const batch = rows.map(rowToCandle);
      yield batch;
      if (rows.length < batchSize) return;
      next = batch[batch.length - 1]!.open_time_ms + 1;
    }
  }

  /**
   * All candles of (symbol, interval_s) with from_ms <= open_time_ms < to_ms as the kernel's
   * Candle[] (see toKernelCandle), oldest first. Refuses more than CANDLE_LOAD_ROWS_MAX rows:
   * use iterateCandles for longer ranges.
   */
  async loadCandles(symbol: string, interval_s: number, from_ms: number, to_ms: number): Promise<Candle[]> {
    const out: Candle[] = [];
    for await (const batch of this.iterateCandles(symbol, interval_s, from_ms, to_ms, CANDLE_READ_BATCH_MAX)) {
      for (const c of batch) out.push(toKernelCandle(c));
      if (out.length > CANDLE_LOAD_ROWS_MAX) throw new RangeError(`loadCandles: more than ${CANDLE_LOAD_ROWS_MAX} candles in range; use iterateCandles`);
    }
    return out;
  }

  /** How many candles of a series open in [from_ms, to_ms), and the first and last open time (null when none). */
  async rangeStats(symbol: string, interval_s: number, from_ms: number, to_ms: number): Promise<{ rows: number; first_open_ms: number | null; last_open_ms: number | null }> {
    const [r] = await this.db.query<{ n: unknown; lo: unknown; hi: unknown }>(
      'SELECT count(*)::bigint AS n, min(open_time_ms) AS lo, max(open_time_ms) AS hi FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms >= $3 AND open_time_ms < $4',
      [symbol, interval_s, from_ms, to_ms],
    );
    return { rows: toInt(r?.n, 'count'), first_open_ms: r?.lo == null ? null : toInt(r.lo, 'min'), last_open_ms: r?.hi == null ? null : toInt(r.hi, 'max') };
  }

  async countCandles(symbol?: string, interval_s?: number): Promise<number> {
    const [r] = symbol === undefined
      ? await this.db.query<{ n: unknown }>('SELECT count(*)::bigint AS n FROM candles')
      : await this.db.query<{ n: unknown }>('SELECT count(*)::bigint AS n FROM candles WHERE symbol = $1 AND interval_s = $2', [symbol, interval_s]);
    return toInt(r?.n, 'count');
  }
}
