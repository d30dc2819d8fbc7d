/**
 * The backtest service (what `warden backtest` and `warden quickstart` call; the CLI only parses
 * and prints): picks the candle source from the book config (the store, or CSV files through the
 * gate; with --persist a CSV run's files are ingested first so the run's candles are recorded
 * inputs a replay can read back), runs the book through the step loop (./run.ts) with the summary,
 * the report builder and, with --persist, the store sink attached, and writes the report.
 */
import type { ResolvedBook } from '../core/book/index.js';
import type { Db } from '../store/db.js';
import { BacktestError, NULL_SINK, runBacktest, type SeriesReader } from './run.js';
import type { BacktestSummary } from './summary.js';
import type { PersistResult } from './persist.js';
import type { StepSink } from '../runtime/step-loop.js';

export interface BacktestRequest {
  readonly configFile: string;
  readonly book: ResolvedBook;
  readonly from_ms: number | null;
  readonly to_ms: number | null;
  readonly persist: boolean;
  /** Where to write the HTML report, or null. */
  readonly report: string | null;
  readonly onProgress?: (phase: 'run' | 'append' | 'verify', done: number) => void;
}

export interface BacktestOutcome {
  readonly book_id: string;
  readonly config_hash: string;
  readonly summary: BacktestSummary;
  readonly persisted: PersistResult | null;
  readonly report: string | null;
  /** Events the run made (all encoded; with --persist, all stored). */
  readonly events: number;
  /**
   * Where the time went, ms (wall clock, this process): `run` = source set-up + the run (read, gate,
   * kernel and sinks interleaved, the store's appends included), of which `read` is inside the
   * candle source (file or store reads, parsing, the gate; with --persist also the ingest of CSV
   * files) and `report_model` is feeding the report's builder; `verify` = with --persist, the last
   * append (the sink's final flush) and the verification; `report` = rendering and writing the page.
   */
  readonly timing_ms: { readonly run: number; readonly read: number; readonly report_model: number; readonly verify: number; readonly report: number };
}

/** The store is needed: data.source is the store, or --persist. */
export function needsStore(req: Pick<BacktestRequest, 'book' | 'persist'>): boolean {
  return req.persist || req.book.config.data.source?.kind === 'store';
}

async function sourceOf(req: BacktestRequest, db: Db | null): Promise<SeriesReader> {
  const src = req.book.config.data.source;
  if (src === undefined) throw new BacktestError('config: data.source is missing (kraken_ohlcvt_csv with paths, or store)', 78);
  if (src.kind === 'kraken_ohlcvt_csv' && !req.persist) {
    const { csvReader } = await import('./csv.js');
    return csvReader(src.paths, req.configFile, req.book.interval_s, req.from_ms, req.to_ms);
  }
  if (db === null) throw new Error('backtest: the store is needed but none is open');
  if (src.kind === 'kraken_ohlcvt_csv') await ingestSources(db, req, src.paths);
  const { storeReader } = await import('./sources.js');
  return storeReader(db, req.book.interval_s, req.from_ms, req.to_ms);
}

/**
 * --persist over CSV files: each file through `warden ingest`'s gate into the store (a file already
 * ingested is a no-op; a rejected one is BatchRejectedError, exit 65, naming it and its first violation).
 */
async function ingestSources(db: Db, req: BacktestRequest, paths: Readonly<Record<string, string>>): Promise<void> {
  const { sourcePath, namedSource } = await import('./csv.js');
  const { ingestFile } = await import('../ingest/ingest.js');
  const { asSeriesViolation } = await import('../ingest/errors.js');
  const { candleFileFormat } = await import('../ingest/gated-reader.js');
  for (const symbol of req.book.symbols) {
    const file = sourcePath(paths, req.configFile, symbol);
    // the series the config reads the file as (a file named otherwise, e.g. btc.csv, is read the same
    // way in memory; a name that names another pair or interval is refused, as there), and its
    // format as the in-memory reader tells it (a trades or REST file is not a candle file: 65, never
    // ingested as 1-minute candles nor refused with an ingest option's message)
    const r = await (async () => ingestFile(db, file, { symbol, interval_s: req.book.interval_s, format: candleFileFormat(file) }))().catch((e: unknown) => {
      throw namedSource(asSeriesViolation(file, e), symbol);
    });
    if (r.symbol !== symbol || r.interval_s !== req.book.interval_s) {
      throw new BacktestError(`${file} holds ${r.symbol} ${r.interval_s}s candles, but the config reads it as ${symbol} ${req.book.interval_s}s (data.source.paths / data.timeframe_s)`);
    }
  }
}

/** Runs a backtest. `db` must be open, migrated and verified when needsStore(req); `read` overrides the source (tests). */
export async function executeBacktest(req: BacktestRequest, db: Db | null, read?: SeriesReader): Promise<BacktestOutcome> {
  const { book } = req;
  const t0 = performance.now();
  const reading = { ms: 0 };
  const source = timedReader(read ?? (await timed(reading, () => sourceOf(req, db))), reading);
  const report = req.report === null ? null : new (await import('../report/model.js')).ReportBuilder();
  // In memory, the events are made, evolved and folded into the summary (fingerprint, state hash)
  // and then dropped: encoding them to canonical JSON would write text nobody reads (a third of the
  // kernel's time). Persisted, each is encoded once, by the store sink; reported, by the report.
  let sink: StepSink = NULL_SINK;
  let persist: import('./persist.js').PersistSink | null = null;
  if (req.persist) {
    if (db === null) throw new Error('backtest: --persist without an open store');
    const { EventStore, APPEND_EVENTS_MAX } = await import('../store/event-store.js');
    const { PersistSink, runStreamName } = await import('./persist.js');
    const store = new EventStore(db);
    const stream = await runStreamName(db, book, req.from_ms, req.to_ms);
    persist = new PersistSink(store, stream, await store.head(stream), APPEND_EVENTS_MAX, (n) => req.onProgress?.('append', n));
    sink = persist;
  }
  let events = 0;
  let ticks = 0;
  let modelMs = 0;
  const run = await runBacktest(book, source, sink, {
    observe: (step) => {
      events += step.length;
      if (report === null) return;
      const t = performance.now(); // two clock reads a step, only with --report
      for (const e of step) report.addBook(e);
      modelMs += performance.now() - t;
    },
    onTick: () => {
      if (++ticks % 1000 === 0) req.onProgress?.('run', ticks);
    },
  }).catch(async (e: unknown) => {
    await persist?.release();
    throw e;
  });
  const t1 = performance.now();
  let persisted: PersistResult | null = null;
  if (persist !== null) {
    await persist.finish();
    const { EventStore } = await import('../store/event-store.js');
    const { verifyPersisted } = await import('./persist.js');
    persisted = await verifyPersisted(new EventStore(db as Db), persist, run.summary, (n) => req.onProgress?.('verify', n));
  }
  const t2 = performance.now();
  let written: string | null = null;
  if (req.report !== null && report !== null) {
    const { writeBacktestReport } = await import('../report/index.js');
    written = writeBacktestReport(req.report, {
      meta: { book_id: book.config.book_id, config_hash: book.config_hash, initial_cash: book.initial_cash.toString(), symbols: book.symbols, stream: persisted?.stream ?? null },
      summary: run.summary, model: report.model(),
    });
  }
  const t3 = performance.now();
  return {
    book_id: book.config.book_id, config_hash: book.config_hash, summary: run.summary, persisted, report: written, events,
    timing_ms: { run: Math.round(t1 - t0), read: Math.round(reading.ms), report_model: Math.round(modelMs), verify: Math.round(t2 - t1), report: Math.round(t3 - t2) },
  };
}

async function timed<T>(acc: { ms: number }, f: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await f();
  } finally {
    acc.ms += performance.now() - t;
  }
}

/**
 * The source with the time spent inside it added to `acc.ms`: one clock read around each batch
 * (1,000 candles from a CSV file), so the run's split into read+gate and kernel costs nothing
 * measurable and needs no clock inside the kernel.
 */
function timedReader(read: SeriesReader, acc: { ms: number }): SeriesReader {
  return (symbol) => {
    const t = performance.now();
    const it = read(symbol);
    acc.ms += performance.now() - t;
    return { next: () => timed(acc, async () => it.next()) };
  };
}
