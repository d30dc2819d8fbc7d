/** `warden data status`: per series first candle, CTT, rows, gaps and the last rejection. */
import type { Command } from 'commander';
import { withStore, writeJson, type GlobalOptions } from '../context.js';

export function registerData(program: Command, globals: () => GlobalOptions): void {
  const data = program.command('data').description('market data in the store');
  data
    .command('status')
    .description('list each series (symbol, interval): first candle, last candle and CTT, rows, gaps, last rejection')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(globals(), 'data status', async ({ db }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const { CandleStore } = await import('../../store/candle-store.js');
        const { formatUtc } = await import('../../core/market/time.js');
        const store = new CandleStore(db);
        const series: Array<Record<string, unknown> & { symbol: string; interval_s: number; first: string; last: string; ctt: string; rows: number; gap_count: number; gap_intervals: number; gap_intervals_max: number; last_rejection: { batch_id: number; source: string; status: string; report: unknown } | null }> = [];
        for (const s of await store.series()) {
          const gaps = await store.gapStats(s.symbol, s.interval_s);
          const rej = await store.lastRejection(s.symbol, s.interval_s);
          series.push({
            ...s, first: formatUtc(s.first_open_ms), last: formatUtc(s.last_open_ms), ctt: formatUtc(s.ctt_ms), ...gaps,
            last_rejection: rej ? { batch_id: rej.id, source: rej.source_name, status: rej.status, report: JSON.parse(rej.report) as unknown } : null,
          });
        }
        const failed = (await store.batches(1000)).filter((b) => b.status !== 'accepted' && !series.some((s) => s.symbol === b.symbol && s.interval_s === b.interval_s));
        if (opts.json) return writeJson({ store: db.description, series, rejections_without_series: failed });
        if (series.length === 0) process.stdout.write(`${db.description}: no market data yet (warden ingest FILE...)\n`);
        for (const s of series) {
          process.stdout.write(
            `${s.symbol.padEnd(10)} ${String(s.interval_s).padStart(6)}s  ${s.first} .. ${s.last}  CTT ${s.ctt}  rows ${s.rows}  ` +
              `gaps ${s.gap_count} (${s.gap_intervals} intervals, largest ${s.gap_intervals_max})` +
              (s.last_rejection ? `  last rejection: batch ${s.last_rejection.batch_id} ${s.last_rejection.source} (${s.last_rejection.status})` : '') + '\n',
          );
        }
        for (const b of failed) process.stdout.write(`rejected: batch ${b.id} ${b.source_name} ${b.symbol} ${b.interval_s}s (${b.status})\n`);
      }, { brief: true });
    });
}
