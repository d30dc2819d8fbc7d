/** Data health: per candle series the CTT, staleness (ACTIVE/LATE/STALE), rows, gaps and the last rejection; rejected batches. */
import { get } from '../api.js';
import { badge, h, table, utc } from '../format.js';

interface Series {
  symbol: string; interval_s: number; first_open_ms: number; ctt_ms: number; rows: number; gap_count: number; gap_intervals: number; gap_intervals_max: number;
  staleness: { status: string; overdue_s: number }; last_rejection: { batch_id: number; source: string; status: string } | null;
}

export async function dataPage(main: HTMLElement): Promise<void> {
  const d = await get<{ series: Series[]; rejections: Array<{ batch_id: number; source: string; symbol: string; interval_s: number; status: string; rows_read: number }> }>('/api/data');
  main.append(h('h1', {}, 'Market data'));
  main.append(table('series', 'Series', ['Symbol', 'Interval', 'First', 'CTT', 'Rows', 'Gaps', 'Missing intervals (max)', 'Staleness', 'Last rejection'],
    d.series.map((s) => [s.symbol, `${s.interval_s}s`, utc(s.first_open_ms), utc(s.ctt_ms), String(s.rows), String(s.gap_count), `${s.gap_intervals} (${s.gap_intervals_max})`,
      badge(s.staleness.status), s.last_rejection ? `batch ${s.last_rejection.batch_id} ${s.last_rejection.source} (${s.last_rejection.status})` : '-'])));
  main.append(table('rejections', 'Rejected or quarantined batches', ['Batch', 'Source', 'Series', 'Status', 'Rows read'],
    d.rejections.map((r) => [String(r.batch_id), r.source, `${r.symbol} ${r.interval_s}s`, r.status, String(r.rows_read)])));
}
