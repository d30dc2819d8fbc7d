/**
 * The backtest's CSV source: one series' candles streamed from a Kraken OHLCVT (or generic OHLCV)
 * CSV file through the SAME ingestion gate as `warden ingest`, handed on in bounded batches.
 *
 *   for await (const batch of readGatedCandles(file, { symbol: 'BTC/USD', interval_s: 3600, from_ms, to_ms })) ...
 *
 * What is shared with `warden ingest` (one implementation, not a copy): the series a file holds
 * (series.ts: the pair and interval named by the file must be the ones asked for), the line
 * reader (source.ts), the row parsers (parsers.ts: schema, NaN/Inf) and the gate's rules
 * (core/market/gate.ts CandleGate: alignment, strictly increasing, high/low, volume, count,
 * no-trade flat, gaps, drift; an identical repeated row is a no-op as in ingest).
 *
 * How it differs, because nothing is stored and the consumer sees rows as they pass:
 *   - The first violation throws GateViolationError (exit 65; `file:line: [rule] value`) and
 *     nothing after it is yielded. Batches before it have been yielded already: a consumer must
 *     treat the throw as fatal for the whole run (a for-await loop does). ingest would refuse the
 *     same file as a whole (it lists up to 20 violations and writes nothing).
 *   - Drift (a jump between consecutive candles by more than the policy's factor) quarantines a
 *     batch in ingest for a person to review. Here there is no one to review it mid-run, so it
 *     refuses the run like any other violation (exit 65 naming file:line): the conservative
 *     choice, a backtest never runs over a candle ingest would not accept.
 *   - Gaps are reported, never refused (Kraken's CSV omits no-trade intervals and the kernel runs
 *     over them): their count and size are in the generator's return value (GatedReadSummary).
 *   - The whole file is read and gated whatever the window: rows outside [from_ms, to_ms) are
 *     checked, then dropped. So a file's verdict does not depend on the window (stopping at to_ms
 *     would miss a later row out of order whose time is inside the window).
 *   - Every row is final (no --last-partial): the same rows `warden ingest FILE` accepts.
 *   - A generic OHLCV file without a trade count: a candle with volume has count null in ingest;
 *     the kernel's Candle needs a number, so it gets 1 ("traded"), volume 0 gets 0 (as before).
 *
 * The file must hold candles of the interval asked for: when its first SpacingCheck steps are all
 * longer than one interval (an hourly file read as 1-minute candles), it is refused at that row.
 *
 * Memory is bounded whatever the file's length: one read chunk (source.ts READ_CHUNK_BYTES), at
 * most one line of LINE_LENGTH_MAX, and the batch being filled (batch_rows candles). Only regular
 * files are read: a FIFO, a device (/dev/zero) or a directory is refused at once (no hang).
 *
 * Speed (npm run bench:read, bench:backtest): a Kraken row in its plain form (every row of the
 * bundled files but a few "1E+1" volumes) is parsed in one pass over the bytes read (source.ts
 * readLineSpans; parsers.ts scanPlainKrakenOhlcvtBytes) into numbers, its candle made from them
 * (equal prices in a row share a Decimal) and gated on them (CandleGate.passPlain: the rules
 * compared exactly without bigint arithmetic; check() whenever it cannot tell, so every verdict
 * and message is check()'s). Any other line takes the full parser and check(), as ingest does.
 */
import { closeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Candle, MarketCandle } from '../core/market/candle.js';
import { CandleGate, DEFAULT_GATE_POLICY, PLAIN_ROW_LENGTH, type GatePolicy, type Violation } from '../core/market/gate.js';
import { canonicalSymbol } from '../core/market/symbols.js';
import { asSeriesViolation, GateViolationError, IngestInputError } from './errors.js';
import { candleOfPlainRow, parseKrakenOhlcvtLineFull, parseOhlcvHeader, parseOhlcvLine, scanPlainKrakenOhlcvt, scanPlainKrakenOhlcvtBytes, type OhlcvColumns, type Parsed } from './parsers.js';
import { resolveSeries, SpacingCheck } from './series.js';
import { formatOfHead, head, headOfFd, openRegularFile, readLineSpans, type IngestFormat, type LineSpans } from './source.js';

export type CandleCsvFormat = 'kraken-ohlcvt' | 'ohlcv-csv';

export interface GatedReadOptions {
  /** Default: detected from the first line, as `warden ingest` does. */
  readonly format?: CandleCsvFormat;
  /** Canonical symbol (BTC/USD). A Kraken file name (XBTUSD_60.csv) must name the same pair. */
  readonly symbol: string;
  /** Seconds. A file name that names an interval (XBTUSD_60.csv = 3600) must name this one. */
  readonly interval_s: number;
  /** Candles with from_ms <= open_time_ms < to_ms are yielded; null = unbounded. */
  readonly from_ms: number | null;
  readonly to_ms: number | null;
  /** Candles per yielded batch at most (default GATED_BATCH_ROWS). */
  readonly batch_rows?: number;
  /** Gate policy (default DEFAULT_GATE_POLICY). A gap is never refused here: `gap` is forced to 'report'. */
  readonly policy?: GatePolicy;
}

/** What the gate saw over the whole file (the generator's return value). */
export interface GatedReadSummary {
  readonly file: string;
  readonly format: CandleCsvFormat;
  /** Data rows read (blank lines and the header not counted). */
  readonly rows_read: number;
  /** Rows that passed the gate (identical repeats not counted). */
  readonly candles: number;
  /** Identical repeated rows skipped. */
  readonly repeats: number;
  /** Candles yielded: those that passed, inside [from_ms, to_ms). */
  readonly yielded: number;
  readonly first_open_ms: number | null;
  readonly last_open_ms: number | null;
  readonly gaps: { readonly count: number; readonly intervals_total: number; readonly intervals_max: number };
}

/**
 * Limits. The default batch is small on purpose: a batch lives until the consumer drops it, and
 * 10,000 candles (~4 MB of objects and bigints) outlive V8's young generation, so every scavenge
 * copies them (measured: about half the rows/s of 1,000; npm run bench:read).
 */
export const GATED_BATCH_ROWS = 1_000;
export const GATED_BATCH_ROWS_MAX = 1_000_000;

function checkOptions(file: string, opts: GatedReadOptions): number {
  const batch = opts.batch_rows ?? GATED_BATCH_ROWS;
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > GATED_BATCH_ROWS_MAX) {
    throw new IngestInputError(`${file}: batch_rows must be an integer in 1..${GATED_BATCH_ROWS_MAX}, got ${batch}`, 64);
  }
  if (!Number.isSafeInteger(opts.interval_s) || opts.interval_s <= 0) {
    throw new IngestInputError(`${file}: interval_s must be a positive integer, got ${opts.interval_s}`, 64);
  }
  let canonical: string | null = null;
  try {
    canonical = canonicalSymbol(opts.symbol);
  } catch {
    // reported below
  }
  if (canonical !== opts.symbol) {
    throw new IngestInputError(`${file}: symbol ${JSON.stringify(opts.symbol)} is not a canonical symbol${canonical ? ` (did you mean ${canonical}?)` : ' (BASE/QUOTE, e.g. BTC/USD)'}`, 64);
  }
  for (const [k, v] of [['from_ms', opts.from_ms], ['to_ms', opts.to_ms]] as const) {
    if (v !== null && !Number.isSafeInteger(v)) throw new IngestInputError(`${file}: ${k} must be null or an integer (ms), got ${v}`, 64);
  }
  return batch;
}

/** What the reader reads, said when a file's first line is neither (its callers have no --format option). */
const READS = 'expected Kraken OHLCVT rows (time,open,high,low,close,volume,trades; no header) or an OHLCV CSV with a header row (time,open,high,low,close,volume)';

/** `format` if it is a candle CSV format, else IngestInputError (65): trades or a REST payload are not candles. */
function candleFormat(file: string, format: IngestFormat): CandleCsvFormat {
  if (format !== 'kraken-ohlcvt' && format !== 'ohlcv-csv') {
    throw new IngestInputError(`${basename(file)}: ${format} is not a candle file; a backtest reads kraken-ohlcvt or ohlcv-csv (ingest trades first: warden ingest)`);
  }
  return format;
}

/**
 * The candle CSV format of `file` as readGatedCandles tells it (from its first bytes), for a caller
 * that reads it otherwise (`backtest --persist` ingests it): IngestInputError (65) naming the file
 * when it is not a candle CSV, never an ingest option's message (--format, --interval).
 */
export function candleFileFormat(file: string): CandleCsvFormat {
  return candleFormat(file, formatOfHead(file, head(file, 4096), READS));
}

/**
 * Streams the candles of ONE series from a CSV file, oldest first, through the ingestion gate,
 * in batches of at most `batch_rows` (never empty), keeping those with open_time_ms in
 * [from_ms, to_ms). Throws GateViolationError (exit 65, `file:line: [rule] value`) at the first
 * row the gate refuses, IngestInputError (exit 65, 64 for bad options) when the file cannot be
 * read as that series (missing, not a regular file, other format, the name names another
 * pair or interval, no data rows). Returns the gate's summary (gaps) when done.
 */
export async function* readGatedCandles(file: string, opts: GatedReadOptions): AsyncGenerator<Candle[], GatedReadSummary, undefined> {
  const batchRows = checkOptions(file, opts);
  const fd = openRegularFile(file);
  let blocks: AsyncGenerator<LineSpans>;
  let format: CandleCsvFormat;
  try {
    format = candleFormat(file, opts.format ?? formatOfHead(file, headOfFd(fd, file), READS));
    try {
      resolveSeries(file, format, { symbol: opts.symbol, interval_s: opts.interval_s });
    } catch (e) {
      throw asSeriesViolation(file, e); // asked for by the caller (a book config), not typed on a command line: bad data, not usage
    }
    blocks = readLineSpans(fd, file);
  } catch (e) {
    closeSync(fd);
    throw e;
  }

  const policy: GatePolicy = { ...(opts.policy ?? DEFAULT_GATE_POLICY), gap: 'report' };
  const run = new GatedRun(file, format, opts, policy, batchRows);
  let yielded = 0;
  try {
    for await (const block of blocks) {
      for (let i = 0; i < block.count;) {
        i = block.lines !== null ? run.lines(block.lines, i, block.first_line) : run.spans(block.bytes!, block.spans!, i, block.count, block.first_line);
        if (run.batch.length >= batchRows) {
          yielded += run.batch.length;
          const out = run.batch;
          run.batch = [];
          yield out;
        }
      }
    }
  } finally {
    await blocks.return(undefined);
  }
  const { rowsRead, repeats, gate } = run;
  if (rowsRead === 0) throw new GateViolationError({ rule: 'schema', where: file, message: 'the file has no data rows' });

  if (run.batch.length > 0) {
    yielded += run.batch.length;
    yield run.batch;
  }
  const s = gate.summary();
  return {
    file, format, rows_read: rowsRead, candles: s.rows, repeats, yielded, first_open_ms: s.first_open_ms, last_open_ms: s.last_open_ms,
    gaps: { count: s.gap_count, intervals_total: s.gap_intervals_total, intervals_max: s.gap_intervals_max },
  };
}

/**
 * One read's rows through parse and gate into `batch`: the per-row work of readGatedCandles, in
 * plain methods that V8 optimizes as soon as they are hot (the generator only hands blocks in and
 * batches out), with no closure or object per row but the candle. lines() and spans() take a
 * block's rows from index `from` until the batch is full or the block ends, and return the index
 * of the next row; a refused row throws GateViolationError naming file:line.
 */
class GatedRun {
  readonly gate: CandleGate;
  private readonly spacing: SpacingCheck;
  private readonly kraken: boolean;
  private readonly symbol: string;
  private readonly interval_s: number;
  private readonly from_ms: number | null;
  private readonly to_ms: number | null;
  /** A plain row's numbers, reused row after row (scanPlainKrakenOhlcvt). */
  private readonly row = new Float64Array(PLAIN_ROW_LENGTH);
  private cols: OhlcvColumns | null = null;
  rowsRead = 0;
  repeats = 0;
  batch: Candle[] = [];

  constructor(
    private readonly file: string,
    format: CandleCsvFormat,
    opts: GatedReadOptions,
    policy: GatePolicy,
    private readonly batchRows: number,
  ) {
    this.kraken = format === 'kraken-ohlcvt';
    this.symbol = opts.symbol;
    this.interval_s = opts.interval_s;
    this.from_ms = opts.from_ms;
    this.to_ms = opts.to_ms;
    this.gate = new CandleGate(opts.symbol, opts.interval_s, policy, null);
    this.spacing = new SpacingCheck(opts.interval_s);
  }

  lines(lines: readonly string[], from: number, first_line: number): number {
    let i = from;
    while (i < lines.length && this.batch.length < this.batchRows) {
      const text = lines[i]!;
      if (this.kraken && scanPlainKrakenOhlcvt(text, this.row)) this.plain(first_line + i);
      else this.text(text, first_line + i);
      i++;
    }
    return i;
  }

  spans(bytes: Buffer, spans: Int32Array, from: number, count: number, first_line: number): number {
    let i = from;
    while (i < count && this.batch.length < this.batchRows) {
      const start = spans[2 * i]!;
      const end = spans[2 * i + 1]!;
      if (this.kraken && scanPlainKrakenOhlcvtBytes(bytes, start, end, this.row)) this.plain(first_line + i);
      else this.text(bytes.toString('latin1', start, end), first_line + i); // ASCII: the text decoding gives
      i++;
    }
    return i;
  }

  /**
   * The common row, parsed in one pass into `row` and gated on its numbers (passPlain); check()
   * only when passPlain cannot tell, so the verdict and its wording are check()'s.
   */
  private plain(line: number): void {
    this.rowsRead++;
    const c = candleOfPlainRow(this.row, this.symbol, this.interval_s);
    if (!this.gate.passPlain(c, this.row) && !this.checked(c, line)) return;
    if (this.inWindow(c, line)) {
      // a Kraken row always has its count. An index store, not push(): TurboFan's inlined push
      // deoptimized here once per read ("not a Smi", --trace-deopt), which a cold read paid for.
      const b = this.batch;
      b[b.length] = c as Candle;
    }
  }

  /** Any other line: blank (skipped), a header, or a row through the full checks, which name what is wrong. */
  private text(text: string, line: number): void {
    if (text.length === 0 || text.trim() === '') return;
    let p: Parsed<MarketCandle>;
    if (this.kraken) p = parseKrakenOhlcvtLineFull(text, this.file, this.symbol, this.interval_s);
    else if (this.cols === null) {
      const h = parseOhlcvHeader(text, this.file);
      if (!h.ok) this.refuse(h.violation, line);
      this.cols = h.value;
      return;
    } else p = parseOhlcvLine(text, this.file, this.cols, this.symbol, this.interval_s);
    this.rowsRead++;
    if (!p.ok) this.refuse(p.violation, line);
    const c = p.value;
    if (this.checked(c, line) && this.inWindow(c, line)) this.batch.push(c.count === null ? { ...c, count: c.volume.isPositive() ? 1 : 0 } : (c as Candle));
  }

  /** isRepeat then check(): false for a repeat (skipped), true for a candle that passed. */
  private checked(c: MarketCandle, line: number): boolean {
    if (this.gate.isRepeat(c)) {
      this.repeats++;
      return false;
    }
    const vs = this.gate.check(c, this.file);
    if (vs.length > 0) this.refuse(vs[0]!, line);
    return true;
  }

  /** A candle that passed: the spacing check, then whether it is in [from_ms, to_ms). */
  private inWindow(c: MarketCandle, line: number): boolean {
    const t = c.open_time_ms;
    const spaced = this.spacing.observe(t);
    if (spaced !== null) this.refuse({ rule: 'symbol', where: this.file, message: spaced }, line);
    return (this.from_ms === null || t >= this.from_ms) && (this.to_ms === null || t < this.to_ms);
  }

  /**
   * The parsers and the gate put `where` only into a violation: it is made for the failing row
   * alone (building "file:line" for every row costs more than parsing it).
   */
  private refuse(v: Violation, line: number): never {
    throw new GateViolationError({ ...v, where: `${this.file}:${line}` });
  }
}
