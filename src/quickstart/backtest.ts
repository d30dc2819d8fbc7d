/**
 * `warden quickstart --backtest`, the one-shot demo (what `npm start` was before the live quick
 * start): on a store the caller opened, migrate, ingest the bundled Kraken hourly BTC/USD and
 * ETH/USD files whole (idempotent: an already ingested file is a no-op), and backtest the shipped
 * quick-start book (config/quickstart.book.json: donchian-breakout on BTC/USD, rsi-reversion on
 * ETH/USD) over the candles in the store (--persist: events stored, verified and re-folded; a
 * second run appends nothing), writing the HTML report. Same inputs, same run.
 */
import { join, relative } from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { Db } from '../store/db.js';
import type { Logger } from '../telemetry/logger.js';
import { ROOT } from './demo.js';
import { QuickstartError } from './prepare.js';

export const QUICKSTART_BOOK = join(ROOT, 'config', 'quickstart.book.json');
/** The bundled files, with whether their last row is a candle still open when the file was made. */
export const QUICKSTART_DATA: readonly { file: string; last_partial: boolean }[] = [
  { file: join(ROOT, 'data', 'kraken', 'XBTUSD_60.csv'), last_partial: true },
  { file: join(ROOT, 'data', 'kraken', 'ETHUSD_60.csv'), last_partial: false },
];

/** Loads the quick-start book; it must read the store. */
export async function loadQuickstartBook() {
  const { loadBookFile } = await import('../config/book-file.js');
  const { book } = await loadBookFile(QUICKSTART_BOOK);
  if (book.config.data.source?.kind !== 'store') throw new QuickstartError(`${QUICKSTART_BOOK}: data.source must be {"kind": "store"}`, EXIT.config);
  return book;
}

export async function backtestDemo(db: Db, log: Logger, opts: { persist: boolean; report: string }, say: (line: string) => void) {
  const book = await loadQuickstartBook();
  const { migrate, verifySchema } = await import('../store/migrations.js');
  const applied = await migrate(db);
  const version = await verifySchema(db);
  say(`store ${db.description}: schema ${version}${applied.length > 0 ? ` (migrated now: ${applied.map((m) => m.version).join(', ')})` : ' (up to date)'}`);
  const { ingestFile } = await import('../ingest/ingest.js');
  const { BatchRejectedError } = await import('../ingest/errors.js');
  const ingested = [];
  for (const d of QUICKSTART_DATA) {
    let r;
    try {
      r = await ingestFile(db, d.file, { last_partial: d.last_partial });
    } catch (e) {
      if (e instanceof BatchRejectedError) throw new QuickstartError(`${d.file}: ${e.report.status}: ${e.report.violations.map((v) => `${v.where}: ${v.message}`).join('; ')}`, EXIT.data);
      throw e;
    }
    log.debug({ event: 'ingest_batch', file: d.file, status: r.status, accepted: r.accepted });
    ingested.push({ file: relative(ROOT, d.file), symbol: r.symbol, status: r.status, accepted: r.accepted, duplicates: r.duplicates, held_back: r.held_back });
    say(`ingest ${relative(ROOT, d.file)}: ${r.symbol} ${r.status}, ${r.accepted} new candles${r.status === 'already_ingested' ? ' (already in the store)' : ''}`);
  }
  const { executeBacktest } = await import('../backtest/service.js');
  const req = { configFile: QUICKSTART_BOOK, book, from_ms: null, to_ms: null, persist: opts.persist, report: opts.report };
  say(`backtest ${relative(ROOT, QUICKSTART_BOOK)} over every stored candle${req.persist ? ' (persisting the run)' : ''}...`);
  const outcome = await executeBacktest(req, db);
  return { store: db.description, schema_version: version, ingested, outcome };
}
