/**
 * `warden backtest --config BOOK.json [--from ISO] [--to ISO] [--persist] [--report FILE] [--json]`:
 * a thin adapter: parses the options, opens the store when the run needs it, calls the backtest
 * service (src/backtest/service.ts) and prints its summary. The candle source is the config's
 * data.source: Kraken OHLCVT CSV files (paths relative to the config, read through the ingestion
 * gate; no store is opened, so the command starts fast) or `{"kind": "store"}`.
 */
import type { Command } from 'commander';
import { CliError, EXIT, withStore, writeJson, type GlobalOptions } from '../context.js';
import type { BacktestOutcome } from '../../backtest/service.js';

export interface BacktestCliOptions {
  config: string;
  from?: string;
  to?: string;
  json?: boolean;
  persist?: boolean;
  report?: string;
  timings?: boolean;
}

/**
 * A UTC date (2022-01-01) or minute (2022-01-01T00:00Z) from 1970 (candles are Unix times) to
 * 9999; a day that does not exist is refused, not rolled over, and a year is never read as 19xx
 * (Date.UTC maps years 0..99 to 1900..1999).
 */
export function parseDate(text: string | undefined, what: string): number | null {
  if (text === undefined) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?Z)?$/.exec(text);
  const ms = m && Number(m[1]) >= 1970 ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) : NaN;
  const back = Number.isFinite(ms) ? new Date(ms) : null;
  if (m === null || back === null || back.getUTCFullYear() !== Number(m[1]) || back.getUTCDate() !== Number(m[3]) || back.getUTCMonth() !== Number(m[2]) - 1 || back.getUTCHours() !== Number(m[4] ?? 0) || back.getUTCMinutes() !== Number(m[5] ?? 0) || back.getUTCSeconds() !== Number(m[6] ?? 0)) {
    throw new CliError(`${what}: expected a UTC date from 1970 like 2022-01-01 or 2022-01-01T00:00Z, got ${JSON.stringify(text)}`, EXIT.usage);
  }
  return ms;
}

/** Money shown to a reader: quote-currency cents, half-even (the exact figures are in --json and the report). */
export const DISPLAY_MONEY_DECIMALS = 2;

/** The human-readable summary lines (money rounded for display; `--json` is exact). */
export async function formatOutcome(o: BacktestOutcome): Promise<string> {
  const { Decimal } = await import('../../core/money/decimal.js');
  const money = (text: string): string => Decimal.parse(text, 'summary amount').round(DISPLAY_MONEY_DECIMALS, 'half_even').toFixed(DISPLAY_MONEY_DECIMALS);
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

export function outcomeJson(o: BacktestOutcome): unknown {
  return { book_id: o.book_id, config_hash: o.config_hash, summary: o.summary, persisted: o.persisted, report: o.report };
}

/**
 * --timings: where this process's time went, one line on stderr, wall clock ms. performance.now()
 * counts from the process's start, so start-up is node's own start and the CLI's imports up to the
 * command; imports are the config loader, the kernel and the service, loaded side by side (the
 * CSV reader's load, started with them, ends within read+gate); store = loading its driver,
 * opening it, checking its schema and closing it; read+gate is timed around each batch the source
 * hands over (with --persist it includes the ingest of the CSV files and the store's reads);
 * kernel is the run less those reads and less feeding the report's builder (so it includes the
 * summary and, with --persist, the appends made during the run); persist = the last append and the
 * verification; report = feeding its builder during the run, then rendering and writing the page.
 */
export interface CommandTimes {
  readonly startup: number;
  readonly imports: number;
  readonly config: number;
  /** Loading the store's driver, opening it, checking its schema and closing it (the wall time around the service less the service's own); 0 in memory. */
  readonly store: number;
  readonly output: number;
  readonly total: number;
}
export function timingsLine(t: CommandTimes, o: BacktestOutcome): string {
  const r = o.timing_ms;
  const ms = (x: number) => String(Math.round(x));
  const parts = [`start-up ${ms(t.startup)}`, `imports ${ms(t.imports)}`, `config ${ms(t.config)}`, `read+gate ${r.read}`, `kernel ${Math.max(0, r.run - r.read - r.report_model)}`];
  if (t.store > 0) parts.push(`store ${ms(t.store)}`);
  if (o.persisted !== null) parts.push(`persist flush+verify ${r.verify}`);
  if (o.report !== null) parts.push(`report ${r.report_model + r.report}`);
  parts.push(`output ${ms(t.output)}`);
  return `timings (ms): ${parts.join(', ')}; total ${ms(t.total)}\n`;
}

export async function backtestCommand(opts: BacktestCliOptions, globals: GlobalOptions): Promise<void> {
  const started = performance.now();
  const from_ms = parseDate(opts.from, '--from');
  const to_ms = parseDate(opts.to, '--to');
  if (from_ms !== null && to_ms !== null && to_ms <= from_ms) throw new CliError(`--to ${opts.to} is not after --from ${opts.from}`, EXIT.usage);
  // Every module the run needs starts loading now, side by side (their file reads overlap with the
  // compiling of the others) instead of one graph after the other as each step reaches its import:
  // the config loader and the kernel, the service, and a CSV source's reader. The awaits below
  // take them from the module cache; a failed load is reported there, so the prefetch ignores it.
  const bookFile = import('../../config/book-file.js');
  const service = import('../../backtest/service.js');
  if (opts.persist !== true) for (const p of [import('../../backtest/csv.js'), import('../../ingest/gated-reader.js')]) p.catch(() => undefined);
  for (const p of [bookFile, service]) p.catch(() => undefined);
  if (opts.report !== undefined) (await import('../../config/files.js')).checkOutputPath(opts.report, '--report'); // before the run, not after it
  const [{ loadBookFile }, { executeBacktest, needsStore }] = await Promise.all([bookFile, service]);
  const imported = performance.now();
  const { book } = await loadBookFile(opts.config, `--config ${opts.config}`);
  const configured = performance.now();
  const req = { configFile: opts.config, book, from_ms, to_ms, persist: opts.persist === true, report: opts.report ?? null };
  let outcome: BacktestOutcome;
  try {
    outcome = needsStore(req)
      ? await withStore(globals, 'backtest', async ({ db }) => {
        const { verifySchema } = await import('../../store/migrations.js');
        await verifySchema(db);
        return executeBacktest(req, db);
      })
      : await executeBacktest(req, null);
  } catch (e) {
    // Say which range of which series was empty: the book's symbols and timeframe, and the options.
    if (e instanceof Error && e.name === 'BacktestError' && /^no candles/.test(e.message)) {
      e.message += ` (${book.symbols.join(', ')} at ${book.interval_s}s, --from ${opts.from ?? '(first)'} --to ${opts.to ?? '(last)'}, source ${book.config.data.source?.kind ?? 'none'})`;
    }
    // A CSV file the config names that cannot be read as asked (missing, not a regular file; the
    // message names its data.source.paths entry), or a config problem found at run time: say which config.
    if (e instanceof Error && e.name === 'IngestInputError') e.message = `--config ${opts.config}: ${e.message}`;
    if (e instanceof Error && e.name === 'BacktestError' && e.message.startsWith('config: ')) e.message = `--config ${opts.config}: ${e.message.slice('config: '.length)}`;
    throw e;
  }
  const ran = performance.now();
  if (opts.json) writeJson(outcomeJson(outcome));
  else process.stdout.write(await formatOutcome(outcome));
  if (opts.timings === true) {
    const end = performance.now();
    const r = outcome.timing_ms;
    const store = needsStore(req) ? Math.max(0, ran - configured - (r.run + r.verify + r.report)) : 0;
    process.stderr.write(timingsLine({ startup: started, imports: imported - started, config: configured - imported, store, output: end - ran, total: end }, outcome));
  }
}

export function registerBacktest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backtest')
    .description('run a book config over historical candles with the deterministic kernel (never places an order)')
    .requiredOption('--config <file>', 'book config (JSON): data, skills, sizing, risk, fees, execution, initial_cash')
    .option('--from <date>', 'first bar open time, UTC (e.g. 2022-01-01)')
    .option('--to <date>', 'end (exclusive) of bar open times, UTC')
    .option('--persist', 'store the run as a replayable book stream backtest:<book>:<run id> (CSV sources are ingested first), verify and re-fold it; idempotent')
    .option('--report <file>', 'write a self-contained HTML report (charts, trades, per-skill figures) to this file')
    .option('--json', 'print the summary as JSON')
    .option('--timings', 'say on stderr where the time went (ms): start-up, imports, config, read+gate, kernel, and store, persist flush+verify, report when used, output')
    .action(async (opts: BacktestCliOptions) => {
      await backtestCommand(opts, globals());
    });
}
