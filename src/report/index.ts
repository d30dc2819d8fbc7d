/**
 * Backtest reports: `renderBacktestReport(run)` -> a self-contained HTML page (no network) with
 * the summary figures, equity and drawdown charts, a per-skill breakdown and every closed trade,
 * all derived from the run's events and summary. `writeBacktestReport(file, run)` writes it,
 * creating the folder. Used by `warden backtest --report` and `warden quickstart`.
 */
import { writeFileAtomic } from '../config/files.js';
import type { NewEvent } from '../core/events/envelope.js';
import { renderReportHtml, type ReportMeta, type ReportSummary } from './html.js';
import { buildReportModel, type ReportModel } from './model.js';

export { buildReportModel, ReportBuilder, REPORT_POINTS_MAX, REPORT_CANDLES_MAX, REPORT_FILLS_MAX, REPORT_TRADES_MAX, skillBreakdown, ReportError, OPERATOR_SKILL, AVG_PRICE_SCALE, WIN_RATE_SCALE } from './model.js';
export type { ReportModel, ReportTrade, ReportSkill, ReportPoint, ReportCandle, ReportFill } from './model.js';
export { renderReportHtml, chartLibrarySource, escapeHtml } from './html.js';
export type { ReportMeta, ReportSummary } from './html.js';

/** A run to report: its events (all of them, in order), or the model a ReportBuilder made as they were produced. */
export type ReportRun =
  | { readonly meta: ReportMeta; readonly summary: ReportSummary; readonly events: Iterable<NewEvent> }
  | { readonly meta: ReportMeta; readonly summary: ReportSummary; readonly model: ReportModel };

export function renderBacktestReport(run: ReportRun): string {
  return renderReportHtml(run.meta, run.summary, 'model' in run ? run.model : buildReportModel(run.events));
}

/**
 * Writes the report to `file` (its folder is created) whole or not at all, and returns the
 * absolute path. A path that cannot be used or a failed write is a FileInputError (64 / 74).
 */
export function writeBacktestReport(file: string, run: ReportRun): string {
  return writeFileAtomic(file, renderBacktestReport(run), '--report');
}
