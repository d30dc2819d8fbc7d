/**
 * Data health: per candle series the CTT, staleness (ACTIVE/LATE/STALE), rows, gaps and the last
 * rejection; rejected batches; and what the monitors suggested (audit:suggestions: open ones
 * first; monitors never act, a human does).
 */
import { get } from '../api.js';
import { badge, h, table, utc } from '../format.js';
import { every, STALENESS_REFRESH_MS } from '../refresh.js';

interface Series {
  symbol: string; interval_s: number; first_open_ms: number; ctt_ms: number; rows: number; gap_count: number; gap_intervals: number; gap_intervals_max: number;
  staleness: { status: string; overdue_s: number }; last_rejection: { batch_id: number; source: string; status: string } | null;
}

interface Suggestion { seq: number; monitor: string; severity: string; book: string | null; series: string | null; message: string; observed_at_ms: number; cleared: { observed_at_ms: number } | null }
const SUGGESTIONS_SHOWN = 200;

export async function dataPage(main: HTMLElement): Promise<void> {
  const d = await get<{ series: Series[]; rejections: Array<{ batch_id: number; source: string; symbol: string; interval_s: number; status: string; rows_read: number }> }>('/api/data');
  main.append(h('h1', {}, 'Market data'));
  main.append(table('series', 'Series', ['Symbol', 'Interval', 'First', 'CTT', 'Rows', 'Gaps', 'Missing intervals (max)', 'Staleness', 'Last rejection'],
    d.series.map((s) => [s.symbol, `${s.interval_s}s`, utc(s.first_open_ms), utc(s.ctt_ms), String(s.rows), String(s.gap_count), `${s.gap_intervals} (${s.gap_intervals_max})`,
      h('span', { class: 'staleness', 'data-series': `${s.symbol} ${s.interval_s}` }, badge(s.staleness.status)), s.last_rejection ? `batch ${s.last_rejection.batch_id} ${s.last_rejection.source} (${s.last_rejection.status})` : '-'])));
  main.append(table('rejections', 'Rejected or quarantined batches', ['Batch', 'Source', 'Series', 'Status', 'Rows read'],
    d.rejections.map((r) => [String(r.batch_id), r.source, `${r.symbol} ${r.interval_s}s`, r.status, String(r.rows_read)])));
  every(STALENESS_REFRESH_MS, async () => {
    const now = await get<{ series: Series[] }>('/api/data');
    for (const x of now.series) {
      const el = main.querySelector<HTMLElement>(`span.staleness[data-series="${CSS.escape(`${x.symbol} ${x.interval_s}`)}"]`);
      if (el && el.textContent !== x.staleness.status) el.replaceChildren(badge(x.staleness.status));
    }
  });
  const s = await get<{ suggestions: Suggestion[]; open_count: number; next_after_seq: number | null }>(`/api/suggestions?limit=${SUGGESTIONS_SHOWN}`);
  const rows = [...s.suggestions].sort((a, b) => Number(a.cleared !== null) - Number(b.cleared !== null) || b.seq - a.seq);
  main.append(table('suggestions', `Monitor suggestions (${s.open_count} open; monitors only suggest, they never act)`, ['Raised', 'Monitor', 'Severity', 'Book', 'Series', 'Message', 'State'],
    rows.map((x) => [utc(x.observed_at_ms), x.monitor, badge(x.severity.toUpperCase(), x.severity === 'critical' ? 'stale' : x.severity === 'warn' ? 'late' : 'active'), x.book ?? '-', x.series ?? '-', x.message,
      x.cleared ? `cleared ${utc(x.cleared.observed_at_ms)}` : badge('OPEN', 'late')])));
}
