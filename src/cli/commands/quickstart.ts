/**
 * `warden quickstart`: what `npm start` runs. Composes the existing pieces in one process, on the
 * configured store (the embedded profile by default): migrate, ingest the bundled Kraken hourly
 * BTC/USD and ETH/USD files (idempotent: an already ingested file is a no-op), run the shipped
 * quick-start book (config/quickstart.book.json: donchian-breakout on BTC/USD, rsi-reversion on
 * ETH/USD) over the candles in the store with --persist semantics (events stored, verified and
 * re-folded; a second run appends nothing), write the HTML report under ./var/reports and print
 * the summary and the report's path. Safe to run again: the same inputs give the same run.
 */
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import { formatOutcome, outcomeJson } from './backtest.js';

/** The package root (dist/src/cli/commands -> ../../../..), where config/ and data/ ship. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const QUICKSTART_BOOK = join(ROOT, 'config', 'quickstart.book.json');
/** The bundled files, with whether their last row is a candle still open when the file was made. */
export const QUICKSTART_DATA: readonly { file: string; last_partial: boolean }[] = [
  { file: join(ROOT, 'data', 'kraken', 'XBTUSD_60.csv'), last_partial: true },
  { file: join(ROOT, 'data', 'kraken', 'ETHUSD_60.csv'), last_partial: false },
];
export const QUICKSTART_REPORT = join('var', 'reports', 'quickstart.html');

interface QuickstartOptions {
  report: string;
  persist?: boolean;
  json?: boolean;
}

export async function quickstartCommand(opts: QuickstartOptions, globals: GlobalOptions): Promise<void> {
  (await import('../../config/files.js')).checkOutputPath(opts.report, '--report'); // before any work
  const { loadBookFile } = await import('../../config/book-file.js');
  const { book } = await loadBookFile(QUICKSTART_BOOK);
  if (book.config.data.source?.kind !== 'store') throw new CliError(`${QUICKSTART_BOOK}: data.source must be {"kind": "store"}`, EXIT.config);
  const say = (line: string) => {
    if (!opts.json) process.stdout.write(line + '\n');
  };
  const result = await withStore(globals, 'quickstart', async ({ db, log }) => {
    const { migrate, verifySchema } = await import('../../store/migrations.js');
    const applied = await migrate(db);
    const version = await verifySchema(db);
    say(`store ${db.description}: schema ${version}${applied.length > 0 ? ` (migrated now: ${applied.map((m) => m.version).join(', ')})` : ' (up to date)'}`);
    const { ingestFile } = await import('../../ingest/ingest.js');
    const { BatchRejectedError } = await import('../../ingest/errors.js');
    const ingested = [];
    for (const d of QUICKSTART_DATA) {
      let r;
      try {
        r = await ingestFile(db, d.file, { last_partial: d.last_partial });
      } catch (e) {
        if (e instanceof BatchRejectedError) throw new CliError(`${d.file}: ${e.report.status}: ${e.report.violations.map((v) => `${v.where}: ${v.message}`).join('; ')}`, EXIT.data);
        throw e;
      }
      log.debug({ event: 'ingest_batch', file: d.file, status: r.status, accepted: r.accepted });
      ingested.push({ file: relative(ROOT, d.file), symbol: r.symbol, status: r.status, accepted: r.accepted, duplicates: r.duplicates, held_back: r.held_back });
      say(`ingest ${relative(ROOT, d.file)}: ${r.symbol} ${r.status}, ${r.accepted} new candles${r.status === 'already_ingested' ? ' (already in the store)' : ''}`);
    }
    const { executeBacktest } = await import('../../backtest/service.js');
    const req = { configFile: QUICKSTART_BOOK, book, from_ms: null, to_ms: null, persist: opts.persist === true, report: opts.report };
    say(`backtest ${relative(ROOT, QUICKSTART_BOOK)} over every stored candle${req.persist ? ' (persisting the run)' : ''}...`);
    const outcome = await executeBacktest(req, db);
    return { store: db.description, schema_version: version, ingested, outcome };
  }, { create: true });
  if (opts.json) {
    const o = result.outcome;
    writeJson({ store: result.store, schema_version: result.schema_version, ingested: result.ingested, ...(outcomeJson(o) as object) });
    return;
  }
  process.stdout.write(await formatOutcome(result.outcome));
  process.stdout.write(`\nOpen the report: ${result.outcome.report}\nNext: warden --profile config/embedded.env backtest --config <your book.json> (README, section Backtest)\n`);
}

export function registerQuickstart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('quickstart')
    .description('migrate the store, ingest the bundled Kraken BTC/USD and ETH/USD hourly data, backtest the quick-start book, write its HTML report')
    .option('--report <file>', 'where to write the HTML report', QUICKSTART_REPORT)
    .option('--persist', 'also store the run\'s events (as warden backtest --persist; slow on PGlite: ~245k events)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: QuickstartOptions) => {
      await quickstartCommand(opts, globals());
    });
}
