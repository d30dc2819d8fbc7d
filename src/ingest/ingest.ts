/**
 * The ingestion gate runner: one source file = one batch = one transaction.
 *
 * Rows stream from the file through the parsers (and, for trades, the aggregator) into the
 * kernel's CandleGate; chunks of passing candles are compared with what the store already has
 * (identical = duplicate, a no-op; different = a conflict, rejected showing both) and inserted
 * with their raw rows inside ONE open transaction. Any violation stops the writing, the rest of
 * the file is still checked (to report up to VIOLATIONS_LISTED_MAX at once), and the transaction
 * is rolled back: a rejected batch leaves only its rejection record. Memory stays bounded by one
 * chunk. The same bytes already accepted into the series are a no-op without re-reading.
 *
 * Candles that are not final are held back, never accepted: the last row of a Kraken REST OHLC
 * response (the still-open interval), the first and last minute of a REST trades sample (partly
 * covered), and the last row of a file when the caller says it is partial (--last-partial).
 */
import { basename } from 'node:path';
import { canonicalJson } from '../core/canonical/index.js';
import type { MarketCandle } from '../core/market/candle.js';
import { AggregationError, TradeAggregator, type Trade } from '../core/market/aggregate.js';
import { CandleGate, DEFAULT_GATE_POLICY, describeCandle, sameCandle, type GatePolicy, type GateSummary, type Violation } from '../core/market/gate.js';
import { KNOWN_PAIR_DECIMALS, type PairMeta } from '../core/market/pairs.js';
import type { Db } from '../store/db.js';
import { CandleStore, type CandleWriter } from '../store/candle-store.js';
import { BatchRejectedError, IngestInputError } from './errors.js';
import { parseKrakenOhlcvtLine, parseKrakenTradeLine, parseOhlcvHeader, parseOhlcvLine, parseRestOhlcRow, parseRestTradeRow, type OhlcvColumns, type Parsed } from './parsers.js';
import { resolveSeries, SpacingCheck, type Series } from './series.js';
import { detectFormat, fileSize, readLines, readPayload, sha256File, type IngestFormat } from './source.js';

/** Limits. */
export const CHUNK_ROWS = 5_000;
export const VIOLATIONS_LISTED_MAX = 20;
export const BATCH_ROWS_MAX = 20_000_000;

export interface IngestOptions {
  format?: IngestFormat;
  symbol?: string;
  interval_s?: number;
  policy?: GatePolicy;
  /** The file's last row is an interval that was still open when the file was made. */
  last_partial?: boolean;
  /** Pair metadata (price decimals for trade aggregation), keyed by canonical symbol. */
  pairs?: ReadonlyMap<string, PairMeta>;
  onProgress?: (done_bytes: number, total_bytes: number) => void;
}

export type IngestStatus = 'accepted' | 'already_ingested' | 'rejected' | 'quarantined';

export interface IngestReport {
  source: string;
  sha256: string;
  format: IngestFormat | (string & {});
  symbol: string;
  interval_s: number;
  status: IngestStatus;
  batch_id: number | null;
  rows_read: number;
  candles: number;
  accepted: number;
  duplicates: number;
  held_back: number;
  gaps: { count: number; intervals_total: number; intervals_max: number; listed: GateSummary['gaps'] };
  violations_total: number;
  violations: Violation[];
  ctt_ms: number | null;
}

function priceDecimals(symbol: string, opts: IngestOptions): number {
  const d = opts.pairs?.get(symbol)?.pair_decimals ?? KNOWN_PAIR_DECIMALS[symbol];
  if (d === undefined) {
    throw new IngestInputError(`${symbol}: the pair's price decimals are unknown (Kraken truncates vwap to them); pass --pairs <AssetPairs.json>`, 64);
  }
  return d;
}

/**
 * Kraken REST OHLC carries no interval: it is the spacing of its (gap-free) rows, from rows whose
 * times are whole seconds only (a fractional or non-numeric time is the parser's schema violation
 * at its row, never part of an interval). resolveSeries then checks the interval's limits.
 */
function inferRestInterval(rows: unknown[]): number {
  let best = 0;
  for (let i = 1; i < Math.min(rows.length, 50); i++) {
    const a = Array.isArray(rows[i - 1]) ? (rows[i - 1] as unknown[])[0] : undefined;
    const b = Array.isArray(rows[i]) ? (rows[i] as unknown[])[0] : undefined;
    if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && (b as number) > (a as number) && (best === 0 || (b as number) - (a as number) < best)) best = (b as number) - (a as number);
  }
  return best;
}

/** One source row for the gate: a candle or a trade, parsed (or its violation), with its raw text. */
export type Item =
  | { kind: 'candle'; line: number; where: string; raw: string; parsed: Parsed<MarketCandle> }
  | { kind: 'trade'; line: number; where: string; raw: string; parsed: Parsed<Trade> };

async function* items(file: string, format: IngestFormat, series: Series, payload: Payload | null, onBytes?: (n: number) => void): AsyncGenerator<Item> {
  const name = basename(file);
  if (payload) {
    const total = payload.rows.length;
    for (let i = 0; i < total; i++) {
      const row = payload.rows[i];
      const where = `${name} result.${payload.pair}[${i}]`;
      const raw = JSON.stringify(row);
      if (format === 'kraken-rest-ohlc') yield { kind: 'candle', line: i + 1, where, raw, parsed: parseRestOhlcRow(row, where, series.symbol, series.interval_s) };
      else yield { kind: 'trade', line: i + 1, where, raw, parsed: parseRestTradeRow(row, where) };
    }
    return;
  }
  let cols: OhlcvColumns | null = null;
  for await (const { line, text } of readLines(file, onBytes)) {
    const where = `${name}:${line}`;
    if (text.trim() === '') continue;
    if (format === 'ohlcv-csv' && cols === null) {
      const h = parseOhlcvHeader(text, where);
      if (!h.ok) {
        yield { kind: 'candle', line, where, raw: text, parsed: h };
        return;
      }
      cols = h.value;
      continue;
    }
    if (format === 'kraken-ohlcvt') yield { kind: 'candle', line, where, raw: text, parsed: parseKrakenOhlcvtLine(text, where, series.symbol, series.interval_s) };
    else if (format === 'ohlcv-csv') yield { kind: 'candle', line, where, raw: text, parsed: parseOhlcvLine(text, where, cols!, series.symbol, series.interval_s) };
    else yield { kind: 'trade', line, where, raw: text, parsed: parseKrakenTradeLine(text, where) };
  }
}

class Rejected extends Error {}

type Payload = { pair: string; rows: unknown[] };

/** Rows already parsed carry their series in the options (a feed knows what it fetched). */
function rowsSeries(name: string, opts: IngestOptions): Series {
  if (opts.symbol === undefined || opts.interval_s === undefined) throw new IngestInputError(`${name}: parsed rows need a symbol and an interval`, 64);
  return { symbol: opts.symbol, interval_s: opts.interval_s };
}

/** Ingests one file as one atomic batch. Throws BatchRejectedError (exit 65) if the gate refuses it. */
export async function ingestFile(db: Db, file: string, opts: IngestOptions = {}): Promise<IngestReport> {
  const total = fileSize(file);
  const format = opts.format ?? detectFormat(file);
  const payload = format === 'kraken-rest-ohlc' || format === 'kraken-rest-trades' ? readPayload(file) : null;
  return ingestSource(db, { file, format, payload, sha256: await sha256File(file), total_bytes: total }, opts);
}

/**
 * A source for the gate: a file on disk, or (feeds) a REST payload already in memory (`payload`;
 * `file` is then only its name) or rows already parsed (`rows`, in order; `file` names them).
 * Every feed writes through here, so a feed's candles pass exactly the rules `warden ingest` applies.
 */
export interface GateSource {
  file: string;
  /** What the batch record calls the format: an IngestFormat, or a feed's own (e.g. kraken-ws-trades). */
  format: IngestFormat | (string & {});
  payload?: Payload | null;
  rows?: Iterable<Item> | AsyncIterable<Item>;
  sha256: string;
  total_bytes: number;
}

/** Runs one source through the gate as one atomic batch (see ingestFile). */
export async function ingestSource(db: Db, src: GateSource, opts: IngestOptions = {}): Promise<IngestReport> {
  const { file, payload = null } = src;
  const format = src.format as IngestFormat;
  const total = src.total_bytes;
  const series = src.rows ? rowsSeries(file, opts) : resolveSeries(file, format, { ...opts, interval_s: opts.interval_s ?? (format === 'kraken-rest-ohlc' && payload ? inferRestInterval(payload.rows) || undefined : undefined) }, payload?.pair);
  const isTrades = format === 'kraken-trades' || format === 'kraken-rest-trades';
  const decimals = isTrades ? priceDecimals(series.symbol, opts) : 0;
  const sha256 = src.sha256;
  const policy = opts.policy ?? DEFAULT_GATE_POLICY;
  const store = new CandleStore(db);
  const report: IngestReport = {
    source: basename(file), sha256, format, symbol: series.symbol, interval_s: series.interval_s, status: 'accepted', batch_id: null,
    rows_read: 0, candles: 0, accepted: 0, duplicates: 0, held_back: 0,
    gaps: { count: 0, intervals_total: 0, intervals_max: 0, listed: [] }, violations_total: 0, violations: [], ctt_ms: null,
  };

  const done = await store.acceptedBatchFor(sha256, series.symbol, series.interval_s);
  if (done) {
    const head = await store.seriesHead(series.symbol, series.interval_s);
    return { ...report, status: 'already_ingested', batch_id: done.id, rows_read: done.rows_read, candles: done.accepted + done.duplicates, duplicates: done.accepted + done.duplicates, held_back: done.held_back, ctt_ms: head?.ctt_ms ?? null };
  }

  const violation = (v: Violation) => {
    report.violations_total++;
    if (report.violations.length < VIOLATIONS_LISTED_MAX) report.violations.push(v);
  };
  let gate: CandleGate | null = null;
  // Trades become 1-minute candles by construction (a minute without trades is simply absent).
  const spacing = format === 'kraken-trades' || format === 'kraken-rest-trades' ? null : new SpacingCheck(series.interval_s);
  let firstNew: number | null = null;
  let lastNew: number | null = null;

  const run = async (w: CandleWriter) => {
    let chunk: { c: MarketCandle; where: string }[] = [];
    let raws: { line: number; raw: string }[] = [];
    const flushChunk = async () => {
      const existing = await w.existing(series.symbol, series.interval_s, chunk.map((x) => x.c.open_time_ms));
      const fresh: MarketCandle[] = [];
      for (const { c, where } of chunk) {
        const old = existing.get(c.open_time_ms);
        if (!old) fresh.push(c);
        else if (sameCandle(old, c)) report.duplicates++;
        else violation({ rule: 'duplicate_conflict', where, message: `a different candle is stored for ${c.open_time_ms / 1000}: stored ${describeCandle(old)}; this row ${describeCandle(c)}` });
      }
      if (report.violations_total === 0) {
        await w.insertCandles(fresh);
        for (const c of fresh) {
          firstNew = firstNew === null ? c.open_time_ms : Math.min(firstNew, c.open_time_ms);
          lastNew = lastNew === null ? c.open_time_ms : Math.max(lastNew, c.open_time_ms);
        }
        report.accepted += fresh.length;
        await w.insertRaw(raws);
      }
      chunk = [];
      raws = [];
    };
    const candle = async (c: MarketCandle, where: string) => {
      report.candles++;
      if (report.candles > BATCH_ROWS_MAX) throw new IngestInputError(`${report.source}: more than ${BATCH_ROWS_MAX} candles in one batch; split the file`);
      if (!gate) gate = new CandleGate(series.symbol, series.interval_s, policy, await w.candleAtOrBefore(series.symbol, series.interval_s, c.open_time_ms - 1));
      if (gate.isRepeat(c)) {
        report.duplicates++; // the same row twice in one file: idempotent, like a re-ingest
        return;
      }
      const vs = gate.check(c, where);
      for (const v of vs) violation(v);
      if (vs.length === 0) {
        chunk.push({ c, where });
        const spaced = spacing?.observe(c.open_time_ms) ?? null;
        if (spaced !== null) violation({ rule: 'symbol', where, message: spaced });
      }
      if (chunk.length >= CHUNK_ROWS) await flushChunk();
    };
    // Candle formats hold back the last row when it is not final; trade formats their edges.
    let pending: { c: MarketCandle; where: string } | null = null;
    const holdLast = format === 'kraken-rest-ohlc' || opts.last_partial === true;
    const agg = isTrades ? new TradeAggregator(series.symbol, 60, decimals) : null;
    let firstTradeCandle = true;
    let lastTradeWhere = '';
    const emitTradeCandle = async (c: MarketCandle, where: string) => {
      if (format === 'kraken-rest-trades' && firstTradeCandle) {
        firstTradeCandle = false; // the sample starts mid-minute: that minute is incomplete
        report.held_back++;
        return;
      }
      firstTradeCandle = false;
      await candle(c, where);
    };
    for await (const it of src.rows ?? items(file, format, series, payload, opts.onProgress ? (n) => opts.onProgress!(n, total) : undefined)) {
      report.rows_read++;
      if (!it.parsed.ok) {
        violation(it.parsed.violation);
        continue;
      }
      raws.push({ line: it.line, raw: it.raw });
      if (it.kind === 'candle') {
        if (pending) await candle(pending.c, pending.where);
        pending = { c: it.parsed.value, where: it.where };
        if (!holdLast) {
          await candle(pending.c, pending.where);
          pending = null;
        }
      } else {
        let closed: MarketCandle[];
        try {
          closed = agg!.push(it.parsed.value);
        } catch (e) {
          if (!(e instanceof AggregationError)) throw e;
          violation({ rule: 'order', where: it.where, message: e.message });
          continue;
        }
        for (const c of closed) await emitTradeCandle(c, it.where);
        lastTradeWhere = it.where;
      }
      if (raws.length >= CHUNK_ROWS && report.violations_total === 0 && chunk.length === 0) {
        await w.insertRaw(raws);
        raws = [];
      }
    }
    if (pending) report.held_back++;
    const last = agg?.flush();
    if (last) {
      if (format === 'kraken-rest-trades' || opts.last_partial) report.held_back++;
      else await emitTradeCandle(last, lastTradeWhere);
    }
    if (chunk.length > 0 || raws.length > 0) await flushChunk();
    const summary = gate ? (gate as CandleGate).summary() : null;
    if (summary) report.gaps = { count: summary.gap_count, intervals_total: summary.gap_intervals_total, intervals_max: summary.gap_intervals_max, listed: summary.gaps };
    if (report.violations_total > 0) throw new Rejected();
    if (report.rows_read === 0) {
      violation({ rule: 'schema', where: report.source, message: 'the file has no data rows' });
      throw new Rejected();
    }
    report.batch_id = w.batchId;
    await w.insertBatch(batchRecord(report, 'accepted', firstNew, lastNew));
    if (firstNew !== null && lastNew !== null) await w.advanceSeries(series.symbol, series.interval_s, firstNew, lastNew, report.accepted);
  };

  try {
    await store.inTransaction(run);
  } catch (e) {
    if (!(e instanceof Rejected)) throw e;
    const onlyDrift = report.violations.every((v) => v.rule === 'drift');
    report.status = onlyDrift ? 'quarantined' : 'rejected';
    report.accepted = 0;
    report.batch_id = await store.recordFailedBatch(batchRecord(report, report.status, null, null));
    throw new BatchRejectedError(report);
  }
  report.ctt_ms = (await store.seriesHead(series.symbol, series.interval_s))?.ctt_ms ?? null;
  return report;
}

function batchRecord(r: IngestReport, status: 'accepted' | 'rejected' | 'quarantined', first: number | null, last: number | null) {
  const detail = status === 'accepted'
    ? { gaps: r.gaps.listed.map((g) => ({ from_ms: g.from_ms, intervals: g.intervals })) }
    : { violations: r.violations.map((v) => ({ message: v.message, rule: v.rule, where: v.where })), violations_total: r.violations_total };
  return {
    source_name: r.source, source_sha256: r.sha256, format: r.format, symbol: r.symbol, interval_s: r.interval_s, status,
    rows_read: r.rows_read, accepted: status === 'accepted' ? r.accepted : 0, duplicates: r.duplicates, held_back: r.held_back,
    gap_count: r.gaps.count, gap_intervals: r.gaps.intervals_total, first_open_ms: first, last_open_ms: last, report: canonicalJson(detail),
  };
}
