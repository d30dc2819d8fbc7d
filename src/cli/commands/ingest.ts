/**
 * `warden ingest FILE...`: each file is one batch through the ingestion gate (all or nothing).
 *
 * The multi-file contract: every file is tried, in the order given, each as its own batch (a
 * file accepted stays accepted whatever happens to the next one); each file gets one result
 * (accepted, already_ingested, rejected, quarantined, or failed: it could not be read as asked,
 * e.g. unreadable, another format, a --symbol its name contradicts), printed as one line, and
 * `--json` prints every file's result. Exit 0 when every file was accepted or already ingested,
 * else the exit code of the first file that was not (65 rejected / quarantined / unreadable, 64 a
 * file the options contradict). Options are checked before any file (64); an error of the store
 * itself (69, 75) stops the command: the files before it keep their batches, and `--json`
 * still prints their results with `aborted`.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import type { IngestOptions, IngestReport } from '../../ingest/ingest.js';

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

/** One file's result: the gate's report, or why the file could not be read as asked. */
export type FileResult =
  | ({ file: string; exit_code: number } & IngestReport)
  | { file: string; status: 'failed'; exit_code: number; error: string };

/**
 * Limit: an ingest whose files hold at most this many bytes in all is brief (withStore): on the
 * embedded store its WebAssembly runs on V8's baseline compiler only. The optimizing tier pays
 * for itself only on long work: measured on the 2-core machine (PGlite, A/B, 2 rounds), 150 rows
 * took 0.8-1.4 s wall / 1.3 s CPU -> 0.5 s / 0.6 s; the Q1 hourly file (130 KB, 2,160 rows)
 * 1.0 s / 1.6-1.75 s CPU -> 0.65 s / 0.8 s; 1.5 MB (25,901 rows) 2.4 s CPU -> 1.6 s; 4 MB
 * (70,253 rows) still 3.4-3.8 s CPU -> 2.9 s at the same wall time; 7.7 MB was even (5-6 s).
 * Larger ingests keep the optimizing tier.
 */
export const INGEST_BASELINE_BYTES_MAX = 2 * 1024 * 1024;

/**
 * The bytes of the regular files among `files`, read from their metadata without opening them.
 * Anything else adds nothing: a path that is missing, "", a FIFO, a device or a directory is
 * refused unread (src/ingest/source.ts).
 */
function regularBytes(files: readonly string[]): number {
  let total = 0;
  for (const f of files) {
    try {
      const st = f === '' ? undefined : statSync(f, { throwIfNoEntry: false });
      if (st?.isFile() === true) total += st.size;
    } catch {
      // not readable as a path (EACCES, ENOTDIR, ...): refused when it is read
    }
  }
  return total;
}

/** The options every file is ingested with, checked once before any file (exit 64 naming the option). */
async function ingestOptions(opts: IngestCliOptions): Promise<Omit<IngestOptions, 'onProgress'>> {
  const { FORMATS, parseInterval } = await import('../../ingest/source.js');
  if (opts.format !== undefined && !(FORMATS as readonly string[]).includes(opts.format)) {
    throw new CliError(`--format ${opts.format}: expected one of ${FORMATS.join(', ')}`, EXIT.usage);
  }
  if (opts.gaps !== 'report' && opts.gaps !== 'reject') throw new CliError(`--gaps ${opts.gaps}: expected report or reject`, EXIT.usage);
  if (!/^\d{1,9}$/.test(opts.gapMax ?? '')) throw new CliError(`--gap-max ${JSON.stringify(opts.gapMax)}: expected an integer 0..999999999`, EXIT.usage);
  const { Decimal } = await import('../../core/money/decimal.js');
  let drift;
  try {
    drift = Decimal.parse(opts.driftFactorMax ?? '3', '--drift-factor-max');
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  if (drift.isNegative() || (!drift.isZero() && drift.lte(Decimal.ONE))) throw new CliError('--drift-factor-max: expected 0 (off) or a factor above 1', EXIT.usage);
  let interval_s: number | undefined;
  let symbol: string | undefined;
  try {
    interval_s = opts.interval !== undefined ? parseInterval(opts.interval) : undefined;
    if (opts.symbol !== undefined) {
      const { canonicalSymbol } = await import('../../core/market/symbols.js');
      canonicalSymbol(opts.symbol); // a pair no file could match is the option's fault, not each file's
      symbol = opts.symbol;
    }
  } catch (e) {
    throw new CliError((e as Error).message.startsWith('--') ? (e as Error).message : `--symbol: ${(e as Error).message}`, EXIT.usage);
  }
  let pairs: ReadonlyMap<string, import('../../core/market/pairs.js').PairMeta> | undefined;
  if (opts.pairs !== undefined) {
    const { readSmallFile } = await import('../../config/files.js');
    const { PAYLOAD_BYTES_MAX } = await import('../../ingest/source.js');
    const { parseAssetPairs } = await import('../../core/market/pairs.js');
    const { parseJsonText } = await import('../../config/json-text.js');
    const text = readSmallFile(opts.pairs, PAYLOAD_BYTES_MAX, `--pairs ${opts.pairs}`, EXIT.data);
    let doc: unknown;
    try {
      doc = parseJsonText(text, `--pairs ${opts.pairs}`);
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.data);
    }
    try {
      pairs = parseAssetPairs(doc);
    } catch (e) {
      throw new CliError(`--pairs ${opts.pairs}: ${(e as Error).message}`, EXIT.data);
    }
  }
  return {
    format: opts.format as IngestOptions['format'], symbol, interval_s, pairs, last_partial: opts.lastPartial,
    policy: { gap: opts.gaps, gap_intervals_max: Number(opts.gapMax), drift_factor_max: drift.isZero() ? null : drift },
  };
}

function printResult(r: FileResult, formatUtc: (ms: number) => string): void {
  if (r.status === 'failed') {
    process.stderr.write(`warden: ${r.file === '' ? '""' : r.file}: FAILED (exit ${r.exit_code}); nothing written: ${r.error}\n`);
  } else if (r.status === 'rejected' || r.status === 'quarantined') {
    process.stderr.write(`warden: ${r.file}: ${r.status.toUpperCase()} (rejection record ${r.batch_id}); nothing written. ${r.violations_total} violation(s):\n`);
    for (const v of r.violations) process.stderr.write(`  ${v.where}: [${v.rule}] ${v.message}\n`);
    if (r.violations_total > r.violations.length) process.stderr.write(`  ... and ${r.violations_total - r.violations.length} more\n`);
  } else {
    process.stdout.write(
      `${r.file}: ${r.status} ${r.symbol} ${r.interval_s}s (${r.format}) batch ${r.batch_id}: ` +
        `${r.rows_read} rows read, ${r.accepted} new, ${r.duplicates} duplicate, ${r.held_back} held back (not final), ` +
        `${r.gaps.count} gaps (${r.gaps.intervals_total} intervals, largest ${r.gaps.intervals_max}); ` +
        `CTT ${r.ctt_ms === null ? '-' : formatUtc(r.ctt_ms)}\n`,
    );
  }
}

export function registerIngest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ingest')
    .description('load market data files through the ingestion gate (each file its own batch: all of it or nothing; every file is tried)')
    .argument('<files...>', 'Kraken OHLCVT / trades CSV, generic OHLCV CSV with a header, or Kraken REST OHLC / Trades JSON')
    .option('--format <format>', 'kraken-ohlcvt | ohlcv-csv | kraken-trades | kraken-rest-ohlc | kraken-rest-trades (default: detected)')
    .option('--symbol <pair>', 'pair, any Kraken spelling (BTC/USD, XBTUSD, XXBTZUSD); default: from the file name or payload')
    .option('--interval <interval>', 'candle interval: 1m, 5m, 15m, 1h, 4h, 1d or seconds (1 minute to 15 days); default: from the file name (XBTUSD_60.csv = 1h)')
    .option('--pairs <file>', 'Kraken AssetPairs JSON: pair price decimals (vwap of aggregated trades) and metadata')
    .option('--last-partial', "the file's last row is an interval still open when the file was made: hold it back")
    .option('--gaps <policy>', 'report (default: Kraken omits no-trade intervals) | reject', 'report')
    .option('--gap-max <intervals>', 'with --gaps reject: longest gap allowed, in intervals', '0')
    .option('--drift-factor-max <factor>', 'quarantine a batch whose consecutive candles jump by more than this factor; 0 = off', '3')
    .option('--json', 'print every file\'s result as JSON (no progress bar)')
    .action(async (files: string[], opts: IngestCliOptions) => {
      const base = await ingestOptions(opts);
      const results: FileResult[] = [];
      const summary = (aborted: { error: string; exit_code: number } | null) => {
        const notIngested = results.filter((r) => r.exit_code !== EXIT.ok).length;
        return { files: files.length, tried: results.length, ingested: results.length - notIngested, rejected: notIngested, aborted, reports: results };
      };
      let store = '';
      try {
        await withStore(globals(), 'ingest', async ({ db, log }) => {
          store = db.description;
          const { verifySchema } = await import('../../store/migrations.js');
          await verifySchema(db);
          const { ingestFile } = await import('../../ingest/ingest.js');
          const { BatchRejectedError, IngestInputError } = await import('../../ingest/errors.js');
          const { FileInputError } = await import('../../config/files.js');
          const { formatUtc } = await import('../../core/market/time.js');
          const showBar = !opts.json && process.stderr.isTTY === true;
          const cliProgress = showBar ? (await import('cli-progress')).default : null;
          for (const file of files) {
            const bar = cliProgress ? new cliProgress.SingleBar({ stream: process.stderr, format: `${file} [{bar}] {percentage}% {value}/{total} bytes`, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
            let started = false;
            let result: FileResult;
            if (file === '') {
              results.push({ file, status: 'failed', exit_code: EXIT.usage, error: 'a file path is empty ("")' });
              if (!opts.json) printResult(results[results.length - 1]!, formatUtc);
              bar?.stop();
              continue;
            }
            try {
              const r = await ingestFile(db, file, {
                ...base,
                onProgress: bar ? (n, total) => { if (!started) { bar.start(total, 0); started = true; } bar.update(n); } : undefined,
              });
              result = { file, exit_code: EXIT.ok, ...r };
              log.info({ event: 'ingest_batch', file, status: r.status, batch_id: r.batch_id, accepted: r.accepted, duplicates: r.duplicates, gaps: r.gaps.count });
            } catch (e) {
              if (e instanceof BatchRejectedError) {
                result = { file, exit_code: EXIT.data, ...e.report };
                log.warn({ event: 'ingest_rejected', file, status: e.report.status, batch_id: e.report.batch_id, violations: e.report.violations_total });
              } else if (e instanceof IngestInputError || e instanceof FileInputError) {
                result = { file, status: 'failed', exit_code: e.exitCode, error: e.message };
                log.warn({ event: 'ingest_failed', file, exit_code: e.exitCode, error: e.message });
              } else {
                throw e;
              }
            } finally {
              bar?.stop();
            }
            results.push(result);
            if (!opts.json) printResult(result, formatUtc);
          }
        }, { brief: regularBytes(files) <= INGEST_BASELINE_BYTES_MAX });
      } catch (e) {
        if (opts.json) writeJson({ store, ...summary({ error: (e as Error).message, exit_code: (e as { exitCode?: number }).exitCode ?? EXIT.internal }) });
        throw e;
      }
      const s = summary(null);
      if (opts.json) writeJson({ store, ...s });
      else if (files.length > 1) process.stdout.write(`${s.files} files: ${s.ingested} ingested, ${s.rejected} not\n`);
      const firstBad = results.find((r) => r.exit_code !== EXIT.ok);
      if (firstBad !== undefined) process.exitCode = firstBad.exit_code;
    });
}
