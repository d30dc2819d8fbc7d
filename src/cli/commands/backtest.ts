/**
 * `warden backtest --config BOOK.json [--from ISO] [--to ISO] [--persist] [--report FILE] [--json]`:
 * runs the pure trading kernel (core/engine runBacktest) over historical candles and prints the
 * summary; --persist stores the run's events (./backtest-persist.ts), --report writes the HTML
 * report (src/report). executeBacktest is the composable core `warden quickstart` reuses.
 * Candles come through an injected CandleSource, chosen by the config's data.source: Kraken
 * OHLCVT CSV files (paths relative to the config file, read with the ingestion module's line
 * parser; no store is opened, so the command starts fast) or `{"kind": "store"}`: the accepted
 * candles in the configured store (CandleStore.loadCandles; needs --env-file or WARDEN_* vars).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import type { Candle } from '../../core/market/candle.js';
import { Decimal } from '../../core/money/decimal.js';
import type { BacktestSummary, ResolvedBook } from '../../core/engine/index.js';
import type { Db } from '../../store/db.js';
import type { PersistResult } from './backtest-persist.js';

/** Loads the candles of one series in [from_ms, to_ms) (bar open times). */
export type CandleSource = (q: { symbol: string; interval_s: number; from_ms: number | null; to_ms: number | null }) => Promise<Candle[]>;

/** Limit: lines per CSV file read by the default source. */
export const CSV_LINES_MAX = 10_000_000;

export function csvCandleSource(paths: Readonly<Record<string, string>>, baseDir: string): CandleSource {
  return async ({ symbol, interval_s, from_ms, to_ms }) => {
    const rel = paths[symbol];
    if (rel === undefined) throw new CliError(`config: data.source.paths has no file for ${symbol}`, EXIT.config);
    const file = resolve(baseDir, rel);
    const { parseKrakenOhlcvtLine } = await import('../../ingest/parsers.js');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.data);
    }
    const lines = text.split('\n');
    if (lines.length > CSV_LINES_MAX) throw new CliError(`${file}: more than ${CSV_LINES_MAX} lines`, EXIT.data);
    const out: Candle[] = [];
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim();
      if (line === '') continue;
      const p = parseKrakenOhlcvtLine(line, `${file}:${i + 1}`, symbol, interval_s);
      if (!p.ok) throw new CliError(`${p.violation.where}: ${p.violation.message}`, EXIT.data);
      const c = p.value;
      if (from_ms !== null && c.open_time_ms < from_ms) continue;
      if (to_ms !== null && c.open_time_ms >= to_ms) continue;
      // Kraken's CSV always has a trade count; a source without one: a bar with volume is tradable.
      out.push({ ...c, count: c.count ?? (c.volume.isPositive() ? 1 : 0) });
    }
    return out;
  };
}

function parseTime(text: string | undefined, what: string): number | null {
  if (text === undefined) return null;
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z)?$/.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
  if (!Number.isFinite(ms)) throw new CliError(`${what}: expected a UTC date like 2022-01-01 or 2022-01-01T00:00Z, got ${JSON.stringify(text)}`, EXIT.usage);
  return ms;
}

export interface BacktestCliOptions {
  config: string;
  from?: string;
  to?: string;
  json?: boolean;
  persist?: boolean;
  report?: string;
}

/** A book config read and resolved (exit 78 naming the field when it is bad). */
export async function loadBookConfig(file: string): Promise<{ raw: unknown; book: ResolvedBook }> {
  const { resolveBook, BookConfigError } = await import('../../core/engine/index.js');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read the book config ${file}: ${(e as Error).message}`, EXIT.config);
  }
  try {
    return { raw, book: resolveBook(raw) };
  } catch (e) {
    if (e instanceof BookConfigError) throw new CliError(e.message, EXIT.config);
    throw e;
  }
}

export interface BacktestRequest {
  readonly configFile: string;
  readonly raw: unknown;
  readonly book: ResolvedBook;
  readonly from_ms: number | null;
  readonly to_ms: number | null;
  readonly persist: boolean;
  /** Where to write the HTML report, or null. */
  readonly report: string | null;
}

export interface BacktestOutcome {
  readonly book_id: string;
  readonly config_hash: string;
  readonly summary: BacktestSummary;
  readonly persisted: PersistResult | null;
  readonly report: string | null;
}

/** The store needed? data.source = store, or --persist. */
export function needsStore(req: Pick<BacktestRequest, 'book' | 'persist'>): boolean {
  return req.persist || req.book.config.data.source?.kind === 'store';
}

/**
 * Loads the candles, runs the kernel, persists the events (with `db` and req.persist) and writes
 * the report. `db` must be open, migrated and verified when needsStore(req); `source` overrides
 * the config's candle source (tests).
 */
export async function executeBacktest(req: BacktestRequest, db: Db | null, source?: CandleSource): Promise<BacktestOutcome> {
  const { runBacktest } = await import('../../core/engine/index.js');
  const { book } = req;
  const cfgSource = book.config.data.source;
  let src: CandleSource;
  if (source !== undefined) src = source;
  else if (cfgSource?.kind === 'store') {
    if (db === null) throw new Error('executeBacktest: data.source is store but no store is open');
    const { CandleStore } = await import('../../store/candle-store.js');
    const store = new CandleStore(db);
    src = (q) => store.loadCandles(q.symbol, q.interval_s, q.from_ms ?? 0, q.to_ms ?? Number.MAX_SAFE_INTEGER);
  } else if (cfgSource?.kind === 'kraken_ohlcvt_csv') src = csvCandleSource(cfgSource.paths, dirname(resolve(req.configFile)));
  else throw new CliError('config: data.source is missing (kraken_ohlcvt_csv with paths, or store)', EXIT.config);
  const candles: Candle[] = [];
  for (const symbol of book.symbols) candles.push(...(await src({ symbol, interval_s: book.interval_s, from_ms: req.from_ms, to_ms: req.to_ms })));
  if (candles.length === 0) throw new CliError('no candles in the requested range', EXIT.data);
  const r = runBacktest(req.raw, candles);
  let persisted: PersistResult | null = null;
  if (req.persist) {
    if (db === null) throw new Error('executeBacktest: --persist without an open store');
    const { persistRun } = await import('./backtest-persist.js');
    persisted = await persistRun(db, { book_id: book.config.book_id, events: r.events, fingerprint: r.summary.fingerprint, state_hash: r.summary.state_hash });
  }
  let report: string | null = null;
  if (req.report !== null) {
    const { writeBacktestReport } = await import('../../report/index.js');
    report = writeBacktestReport(req.report, {
      meta: { book_id: book.config.book_id, config_hash: book.config_hash, initial_cash: book.initial_cash.toString(), symbols: book.symbols, stream: persisted?.stream ?? null },
      summary: r.summary, events: r.events,
    });
  }
  return { book_id: book.config.book_id, config_hash: book.config_hash, summary: r.summary, persisted, report };
}

/** Money shown to a reader: quote-currency cents, half-even (the exact figures are in --json and the report). */
export const DISPLAY_MONEY_DECIMALS = 2;
const money = (text: string): string => Decimal.parse(text, 'summary amount').round(DISPLAY_MONEY_DECIMALS, 'half_even').toFixed(DISPLAY_MONEY_DECIMALS);

/** The human-readable summary lines (money rounded for display; `--json` is exact). */
export function formatOutcome(o: BacktestOutcome): string {
  const s = o.summary;
  const rows: [string, string | number][] = [
    ['book', `${o.book_id} (config ${o.config_hash.slice(0, 16)})`], ['bars', s.bars], ['fills', s.fills],
    ['trades closed / open', `${s.trades_closed} / ${s.trades_open}`], ['net P&L', money(s.net_pnl)], ['fees', money(s.fees)], ['final cash', money(s.final_cash)],
    ['final equity', money(s.final_equity)], ['max drawdown %', s.max_drawdown_pct], ['sharpe (annualized)', s.sharpe], ['exposure %', s.exposure_pct],
    ['fingerprint', s.fingerprint], ['state hash', s.state_hash],
  ];
  if (o.persisted !== null) {
    const p = o.persisted;
    const what = p.status === 'already_persisted' ? 'already stored, nothing appended' : `${p.appended} appended${p.status === 'resumed' ? ' (resumed)' : ''}`;
    rows.push(['persisted', `${p.stream}: ${p.events} events (${what}); chain verified, re-fold equal`]);
  }
  if (o.report !== null) rows.push(['report', o.report]);
  return rows.map(([k, v]) => `${k.padEnd(22)} ${v}\n`).join('');
}

export async function backtestCommand(opts: BacktestCliOptions, globals: GlobalOptions, source?: CandleSource): Promise<void> {
  const { raw, book } = await loadBookConfig(opts.config);
  const req: BacktestRequest = {
    configFile: opts.config, raw, book, from_ms: parseTime(opts.from, '--from'), to_ms: parseTime(opts.to, '--to'),
    persist: opts.persist === true, report: opts.report ?? null,
  };
  const outcome = needsStore(req) && source === undefined
    ? await withStore(globals, 'backtest', async ({ db }) => {
      const { verifySchema } = await import('../../store/migrations.js');
      await verifySchema(db);
      return executeBacktest(req, db);
    })
    : await executeBacktest(req, null, source);
  if (opts.json) writeJson({ book_id: outcome.book_id, config_hash: outcome.config_hash, summary: outcome.summary, persisted: outcome.persisted, report: outcome.report });
  else process.stdout.write(formatOutcome(outcome));
}

export function registerBacktest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backtest')
    .description('run a book config over historical candles with the deterministic kernel (never places an order)')
    .requiredOption('--config <file>', 'book config (JSON): data, skills, sizing, risk, fees, execution, initial_cash')
    .option('--from <date>', 'first bar open time, UTC (e.g. 2022-01-01)')
    .option('--to <date>', 'end (exclusive) of bar open times, UTC')
    .option('--persist', 'append the run\'s events to the store (stream backtest:<book>:<run id>), read them back, verify and re-fold; idempotent')
    .option('--report <file>', 'write a self-contained HTML report (charts, trades, per-skill figures) to this file')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: BacktestCliOptions) => {
      await backtestCommand(opts, globals());
    });
}
