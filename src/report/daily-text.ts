/**
 * The daily report (./daily.ts) as text for an operator: start of day, end of day, P&L, fills,
 * directives and their fate, suggestions, data health. Money is rounded at cents here (half-even)
 * and only here; `--json` prints the exact decimals.
 */
import { Decimal } from '../core/money/index.js';
import type { DailyReport, DayView } from './daily.js';

const CENTS = 2;
/** Lines of fills / directives / suggestions printed before "... and N more" (the JSON has them all). */
export const TEXT_LINES_MAX = 50;

const money = (v: string | null): string => (v === null || v === '' ? '-' : Decimal.parse(v).round(CENTS, 'half_even').toFixed(CENTS));
const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function view(title: string, v: DayView): string[] {
  const pos = v.positions.length === 0 ? 'flat' : v.positions.map((p) => `${p.symbol} ${p.qty} @ ${money(p.close)} = ${money(p.value)}`).join('; ');
  return [
    `${title} (${v.mark_seq === null ? 'no mark yet: initial cash' : `mark seq ${v.mark_seq} at ${iso(v.mark_time_ms)}`})`,
    `  equity ${money(v.equity)}  cash ${money(v.cash)}  unrealized ${money(v.unrealized_pnl)}  drawdown ${v.drawdown_pct ?? '-'}%  tier ${v.tier ?? '-'}`,
    `  positions: ${pos}`,
  ];
}

function more<T>(list: readonly T[], total: number, line: (x: T) => string): string[] {
  const out = list.slice(0, TEXT_LINES_MAX).map(line);
  if (total > out.length) out.push(`  ... and ${total - out.length} more (--json lists them)`);
  return out;
}

export function renderDailyText(r: DailyReport): string {
  const out: string[] = [
    `Daily report: book ${r.book} (${r.stream}), ${r.date} UTC${r.date_defaulted ? ' (its latest tick day; --date to choose)' : ''}: ${r.events.count} events` +
      (r.events.first_seq === null ? '' : ` (seq ${r.events.first_seq}..${r.events.last_seq})`),
    '',
    ...view('Start of day', r.start_of_day),
    ...view('End of day', r.end_of_day),
    '',
    `P&L: equity change ${money(r.pnl.equity_change)} = realized ${money(r.pnl.realized)} + unrealized change ${money(r.pnl.unrealized_change)}  (fees paid ${money(r.pnl.fees)}, included)`,
    '',
    `Fills: ${r.fills.count} (${r.fills.buys} buys for ${money(r.fills.bought_cost)}, ${r.fills.sells} sells for ${money(r.fills.sold_cost)})`,
    ...more(r.fills.listed, r.fills.count, (f) => `  ${iso(f.time_ms)} ${f.side.padEnd(4)} ${f.qty} ${f.symbol} @ ${money(f.price)} cost ${money(f.cost)} fee ${money(f.fee)} (${f.fill_id}, seq ${f.seq})`),
    '',
    `Directives: ${r.directives.count}`,
    ...more(r.directives.listed, r.directives.count, (d) =>
      `  ${d.directive_id} ${d.type ?? ''} by ${d.issued_by ?? '?'}: verdict ${d.verdict ?? '-'}; ${d.changes.map((c) => `${c.to} (${c.by})`).join(' -> ')}; ` +
        `end of day ${d.status_end_of_day ?? '-'}, now ${d.status_now ?? '-'}${d.decided_by === null ? '' : `; decided by ${d.decided_by}`}`),
  ];
  if (r.ticks_not_ok.length > 0) out.push('', `Ticks not OK: ${r.ticks_not_ok.length}`, ...r.ticks_not_ok.slice(0, TEXT_LINES_MAX).map((t) => `  ${iso(t.time_ms)} ${t.status} ${JSON.stringify(t.tasks)}`));
  if (r.tier_changes.length > 0) out.push('', 'Risk tier changes:', ...r.tier_changes.map((t) => `  ${iso(t.time_ms)} ${t.from} -> ${t.to} at drawdown ${t.drawdown_pct}%`));
  if (r.operator_commands.length > 0) out.push('', 'Operator commands:', ...r.operator_commands.slice(0, TEXT_LINES_MAX).map((c) => `  ${iso(c.time_ms)} ${c.command} by ${c.by} (${c.type === 'operator.command_applied' ? 'applied' : 'rejected'})`));
  if (r.epochs.length > 0) out.push('', 'Truth epochs:', ...r.epochs.map((e) => `  ${iso(e.time_ms)} ${JSON.stringify(e.payload)}`));
  out.push('', `Suggestions raised that day: ${r.suggestions.count}`,
    ...more(r.suggestions.listed, r.suggestions.count, (s) => `  ${iso(s.observed_at_ms)} [${s.severity}] ${s.message}${s.cleared === null ? ' (open)' : ` (cleared ${iso(s.cleared.observed_at_ms)})`}`));
  out.push('', 'Data health:');
  for (const h of r.data_health) {
    out.push(`  ${h.series}: ${h.candles}/${h.expected} candles, ${h.missing} missing in ${h.gaps.length} gap(s), ${h.rejections.length} rejected batch(es), CTT ${iso(h.ctt_ms)}${h.complete ? '' : ' (the day is not complete)'}`);
    for (const g of h.gaps.slice(0, 10)) out.push(`    gap from ${iso(g.first_missing_open_ms)}: ${g.missing_intervals} missing`);
    for (const b of h.rejections.slice(0, 10)) out.push(`    batch ${b.batch_id} ${b.status}: ${b.source_name} (${b.rows_read} rows)`);
  }
  if (r.data_health.length === 0) out.push('  (the book has no market data)');
  return out.join('\n') + '\n';
}
