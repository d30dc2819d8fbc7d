/**
 * `warden backtest --config BOOK.json [--from ISO] [--to ISO] [--json]`: runs the pure trading
 * kernel (core/engine runBacktest) over historical candles, in memory, and prints the summary.
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
}

export async function backtestCommand(opts: BacktestCliOptions, globals: GlobalOptions, source?: CandleSource): Promise<void> {
  const { runBacktest, resolveBook, BookConfigError } = await import('../../core/engine/index.js');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(opts.config, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read the book config ${opts.config}: ${(e as Error).message}`, EXIT.config);
  }
  let book;
  try {
    book = resolveBook(raw);
  } catch (e) {
    if (e instanceof BookConfigError) throw new CliError(e.message, EXIT.config);
    throw e;
  }
  const from = parseTime(opts.from, '--from');
  const to = parseTime(opts.to, '--to');
  const cfgSource = book.config.data.source;
  const load = async (src: CandleSource) => {
    const out: Candle[] = [];
    for (const symbol of book.symbols) out.push(...(await src({ symbol, interval_s: book.interval_s, from_ms: from, to_ms: to })));
    return out;
  };
  let candles: Candle[];
  if (source !== undefined) candles = await load(source);
  else if (cfgSource?.kind === 'store') {
    candles = await withStore(globals, 'backtest', async ({ db }) => {
      const { verifySchema } = await import('../../store/migrations.js');
      await verifySchema(db);
      const { CandleStore } = await import('../../store/candle-store.js');
      const store = new CandleStore(db);
      return load((q) => store.loadCandles(q.symbol, q.interval_s, q.from_ms ?? 0, q.to_ms ?? Number.MAX_SAFE_INTEGER));
    });
  } else if (cfgSource?.kind === 'kraken_ohlcvt_csv') candles = await load(csvCandleSource(cfgSource.paths, dirname(resolve(opts.config))));
  else throw new CliError('config: data.source is missing (kraken_ohlcvt_csv with paths, or store)', EXIT.config);
  if (candles.length === 0) throw new CliError('no candles in the requested range', EXIT.data);
  const r = runBacktest(raw, candles);
  const s = r.summary;
  if (opts.json) {
    writeJson({ book_id: book.config.book_id, config_hash: book.config_hash, summary: s });
    return;
  }
  const rows: [string, string | number][] = [
    ['book', `${book.config.book_id} (config ${book.config_hash.slice(0, 16)})`], ['bars', s.bars], ['fills', s.fills],
    ['trades closed / open', `${s.trades_closed} / ${s.trades_open}`], ['net P&L', s.net_pnl], ['fees', s.fees], ['final cash', s.final_cash],
    ['final equity', s.final_equity], ['max drawdown %', s.max_drawdown_pct], ['sharpe (annualized)', s.sharpe], ['exposure %', s.exposure_pct],
    ['fingerprint', s.fingerprint], ['state hash', s.state_hash],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
}

export function registerBacktest(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backtest')
    .description('run a book config over historical candles with the deterministic kernel (in memory; never places an order)')
    .requiredOption('--config <file>', 'book config (JSON): data, skills, sizing, risk, fees, execution, initial_cash')
    .option('--from <date>', 'first bar open time, UTC (e.g. 2022-01-01)')
    .option('--to <date>', 'end (exclusive) of bar open times, UTC')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: BacktestCliOptions) => {
      await backtestCommand(opts, globals());
    });
}
