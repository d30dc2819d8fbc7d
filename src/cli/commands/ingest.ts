/**
 * `warden ingest FILE...`: each file is one batch through the ingestion gate (all or nothing).
 * Prints a summary per file (accepted, duplicates, held back, gaps, rejected) or --json; exits 65
 * if any file was rejected or quarantined (the others are still ingested, each on its own).
 */
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';

interface IngestCliOptions {
  format?: string;
  symbol?: string;
  interval?: string;
  pairs?: string;
  lastPartial?: boolean;
  gaps?: string;
  gapMax?: string;
  driftFactorMax?: string;
  json?: boolean;
}

export function registerIngest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ingest')
    .description('load market data files through the ingestion gate (each file atomic: all or nothing)')
    .argument('<files...>', 'Kraken OHLCVT / trades CSV, generic OHLCV CSV with a header, or Kraken REST OHLC / Trades JSON')
    .option('--format <format>', 'kraken-ohlcvt | ohlcv-csv | kraken-trades | kraken-rest-ohlc | kraken-rest-trades (default: detected)')
    .option('--symbol <pair>', 'pair, any Kraken spelling (BTC/USD, XBTUSD, XXBTZUSD); default: from the file name or payload')
    .option('--interval <interval>', 'candle interval: 1m, 5m, 15m, 1h, 4h, 1d or seconds; default: from the file name (XBTUSD_60.csv = 1h)')
    .option('--pairs <file>', 'Kraken AssetPairs JSON: pair price decimals (vwap of aggregated trades) and metadata')
    .option('--last-partial', "the file's last row is an interval still open when the file was made: hold it back")
    .option('--gaps <policy>', 'report (default: Kraken omits no-trade intervals) | reject', 'report')
    .option('--gap-max <intervals>', 'with --gaps reject: longest gap allowed, in intervals', '0')
    .option('--drift-factor-max <factor>', 'quarantine a batch whose consecutive candles jump by more than this factor; 0 = off', '3')
    .option('--json', 'print the reports as JSON (no progress bar)')
    .action(async (files: string[], opts: IngestCliOptions) => {
      const { FORMATS, parseInterval } = await import('../../ingest/source.js');
      if (opts.format && !(FORMATS as readonly string[]).includes(opts.format)) {
        throw new CliError(`--format ${opts.format}: expected one of ${FORMATS.join(', ')}`, EXIT.usage);
      }
      if (opts.gaps !== 'report' && opts.gaps !== 'reject') throw new CliError(`--gaps ${opts.gaps}: expected report or reject`, EXIT.usage);
      const gapMax = Number(opts.gapMax);
      if (!Number.isSafeInteger(gapMax) || gapMax < 0) throw new CliError(`--gap-max ${opts.gapMax}: expected an integer >= 0`, EXIT.usage);
      const { Decimal } = await import('../../core/money/decimal.js');
      let drift;
      try {
        drift = Decimal.parse(opts.driftFactorMax ?? '3', '--drift-factor-max');
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      }
      if (!drift.isZero() && drift.lte(Decimal.ONE)) throw new CliError('--drift-factor-max: expected 0 (off) or a factor above 1', EXIT.usage);
      const interval_s = opts.interval ? parseInterval(opts.interval) : undefined;
      let pairs: ReadonlyMap<string, import('../../core/market/pairs.js').PairMeta> | undefined;
      if (opts.pairs) {
        const { readSmallFile } = await import('../../config/files.js');
        const { PAYLOAD_BYTES_MAX } = await import('../../ingest/source.js');
        const { parseAssetPairs } = await import('../../core/market/pairs.js');
        const text = readSmallFile(opts.pairs, PAYLOAD_BYTES_MAX, `--pairs ${opts.pairs}`, EXIT.data);
        try {
          pairs = parseAssetPairs(JSON.parse(text));
        } catch (e) {
          throw new CliError(`--pairs ${opts.pairs}: ${(e as Error).message}`, EXIT.data);
        }
      }
      await withStore(globals(), 'ingest', async ({ db, log }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        const { ingestFile } = await import('../../ingest/ingest.js');
        const { BatchRejectedError } = await import('../../ingest/errors.js');
        const { formatUtc } = await import('../../core/market/time.js');
        const showBar = !opts.json && process.stderr.isTTY === true;
        const cliProgress = showBar ? (await import('cli-progress')).default : null;
        const reports = [];
        let failed = 0;
        for (const file of files) {
          const bar = cliProgress ? new cliProgress.SingleBar({ stream: process.stderr, format: `${file} [{bar}] {percentage}% {value}/{total} bytes`, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
          let started = false;
          try {
            const r = await ingestFile(db, file, {
              format: opts.format as never, symbol: opts.symbol, interval_s, pairs, last_partial: opts.lastPartial,
              policy: { gap: opts.gaps as 'report' | 'reject', gap_intervals_max: gapMax, drift_factor_max: drift.isZero() ? null : drift },
              onProgress: bar ? (n, total) => { if (!started) { bar.start(total, 0); started = true; } bar.update(n); } : undefined,
            });
            bar?.stop();
            reports.push(r);
            log.info({ event: 'ingest_batch', file, status: r.status, batch_id: r.batch_id, accepted: r.accepted, duplicates: r.duplicates, gaps: r.gaps.count });
            if (!opts.json) {
              process.stdout.write(
                `${file}: ${r.status} ${r.symbol} ${r.interval_s}s (${r.format}) batch ${r.batch_id}: ` +
                  `${r.rows_read} rows read, ${r.accepted} new, ${r.duplicates} duplicate, ${r.held_back} held back (not final), ` +
                  `${r.gaps.count} gaps (${r.gaps.intervals_total} intervals, largest ${r.gaps.intervals_max}); ` +
                  `CTT ${r.ctt_ms === null ? '-' : formatUtc(r.ctt_ms)}\n`,
              );
            }
          } catch (e) {
            bar?.stop();
            if (!(e instanceof BatchRejectedError)) throw e;
            failed++;
            reports.push(e.report);
            log.warn({ event: 'ingest_rejected', file, status: e.report.status, batch_id: e.report.batch_id, violations: e.report.violations_total });
            if (!opts.json) {
              process.stderr.write(`warden: ${file}: ${e.report.status.toUpperCase()} (rejection record ${e.report.batch_id}); nothing written. ${e.report.violations_total} violation(s):\n`);
              for (const v of e.report.violations) process.stderr.write(`  ${v.where}: [${v.rule}] ${v.message}\n`);
              if (e.report.violations_total > e.report.violations.length) process.stderr.write(`  ... and ${e.report.violations_total - e.report.violations.length} more\n`);
            }
          }
        }
        if (opts.json) writeJson({ store: db.description, files: reports.length, rejected: failed, reports });
        if (failed > 0) process.exitCode = EXIT.data;
      });
    });
}
