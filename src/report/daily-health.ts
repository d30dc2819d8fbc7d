/**
 * Data health of one series for one UTC day (part of the daily report, ./daily.ts): candles that
 * day against the count expected within the series' stored span, the runs of missing open times,
 * the batches the ingestion gate rejected or quarantined that touch the day (by their open-time
 * range or their recording time), and the CTT. Bounded: one day of open times, DAILY_REJECTIONS_MAX
 * batches.
 */
import { seriesName } from '../monitors/checks.js';
import type { Db } from '../store/db.js';
import { DAY_MS, int } from './daily-shared.js';

export const DAILY_REJECTIONS_MAX = 100;

export interface SeriesHealth {
  series: string;
  symbol: string;
  interval_s: number;
  candles: number;
  expected: number;
  missing: number;
  gaps: { first_missing_open_ms: number; missing_intervals: number }[];
  rejections: { batch_id: number; status: string; source_name: string; rows_read: number; first_open_ms: number | null; last_open_ms: number | null }[];
  ctt_ms: number | null;
  complete: boolean;
}

export async function seriesHealth(db: Db, symbol: string, interval_s: number, from_ms: number, to_ms: number): Promise<SeriesHealth> {
  const step = interval_s * 1000;
  const [head] = await db.query<Record<string, unknown>>('SELECT first_open_ms, last_open_ms, ctt_ms FROM market_series WHERE symbol = $1 AND interval_s = $2', [symbol, interval_s]);
  const first = head ? int(head.first_open_ms) : null;
  const last = head ? int(head.last_open_ms) : null;
  const opens = (await db.query<{ t: unknown }>(
    'SELECT open_time_ms AS t FROM candles WHERE symbol = $1 AND interval_s = $2 AND open_time_ms >= $3 AND open_time_ms < $4 ORDER BY open_time_ms LIMIT $5',
    [symbol, interval_s, from_ms, to_ms, Math.ceil(DAY_MS / step) + 1],
  )).map((r) => int(r.t));
  // Expected: the day's open times within the series' stored span (before its first or after its newest candle is not a gap: staleness says that).
  const lo = Math.max(from_ms, first ?? to_ms);
  const hi = Math.min(to_ms - step, last ?? from_ms - step);
  const start = Math.ceil((lo - from_ms) / step) * step + from_ms;
  const expected = hi >= start ? Math.floor((hi - start) / step) + 1 : 0;
  const gaps: SeriesHealth['gaps'] = [];
  let expect = start;
  for (const o of opens) {
    if (o > expect) gaps.push({ first_missing_open_ms: expect, missing_intervals: Math.round((o - expect) / step) });
    expect = o + step;
  }
  const rej = await db.query<Record<string, unknown>>(
    `SELECT id, status, source_name, rows_read, first_open_ms, last_open_ms FROM ingest_batches
      WHERE symbol = $1 AND interval_s = $2 AND status <> 'accepted'
        AND ((first_open_ms < $4 AND last_open_ms >= $3) OR (recorded_at >= to_timestamp($3::bigint / 1000.0) AND recorded_at < to_timestamp($4::bigint / 1000.0)))
      ORDER BY id LIMIT $5`,
    [symbol, interval_s, from_ms, to_ms, DAILY_REJECTIONS_MAX],
  );
  const ctt = head ? int(head.ctt_ms) : null;
  return {
    series: seriesName(symbol, interval_s), symbol, interval_s, candles: opens.length, expected, missing: Math.max(0, expected - opens.length), gaps,
    rejections: rej.map((r) => ({
      batch_id: int(r.id), status: String(r.status), source_name: String(r.source_name), rows_read: int(r.rows_read),
      first_open_ms: r.first_open_ms == null ? null : int(r.first_open_ms), last_open_ms: r.last_open_ms == null ? null : int(r.last_open_ms),
    })),
    ctt_ms: ctt, complete: ctt !== null && ctt >= to_ms,
  };
}

