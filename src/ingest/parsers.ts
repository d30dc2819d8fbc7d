/**
 * Text -> typed rows, one row at a time, pure (no I/O): the ingest runner streams lines or
 * payload elements through these. A bad field never throws past here: it becomes a Violation
 * naming where (file:line), the field, the rule and the value, so a whole file can be checked
 * and reported at once.
 *   kraken-ohlcvt       "ts,open,high,low,close,volume,trades" (no header; Kraken's download)
 *   ohlcv-csv           a header row naming open_time|time|timestamp|date, open, high, low, close,
 *                       volume and optionally trades|count and vwap; time as epoch s, epoch ms or ISO UTC
 *   kraken-trades       "ts,price,volume" (Kraken's trade history download)
 *   kraken-rest-ohlc    REST /0/public/OHLC rows [time, o, h, l, c, vwap, volume, count]
 *   kraken-rest-trades  REST /0/public/Trades rows [price, volume, time, side, type, misc(, id)]
 */
import { Decimal } from '../core/money/decimal.js';
import type { MarketCandle } from '../core/market/candle.js';
import type { Trade } from '../core/market/aggregate.js';
import type { Violation } from '../core/market/gate.js';
import { parseIsoUtcMs } from '../core/market/time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; violation: Violation };

const NON_FINITE_RE = /^[+-]?(nan|inf|infinity)$/i;

class FieldError extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
  }
}

function fail(rule: Violation['rule'], where: string, message: string): never {
  throw new FieldError({ rule, where, message });
}

const EXP_RE = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d{1,2})$/;

/**
 * Exact expansion of exponent notation ("1E+1" -> "10", "2.1E+2" -> "210", "5e-3" -> "0.005"):
 * Kraken's own hourly XBTUSD file writes some volumes this way (e.g. line 17: 1E+1).
 */
export function expandExponent(text: string): string | null {
  const m = EXP_RE.exec(text);
  if (!m) return null;
  const digits = m[2]! + (m[3] ?? '');
  const point = m[2]!.length + Number(m[4]); // position of the point in `digits`
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  out = out.replace(/^0+(?=\d)/, '');
  return (m[1] ?? '') + out;
}

/** A decimal field; NaN/Inf is its own rule, anything else not a plain decimal is schema. */
export function decimalField(text: string | undefined, field: string, where: string): Decimal {
  if (text === undefined) fail('schema', where, `${field}: missing`);
  const plain = Decimal.tryParsePlain(text, 0, text.length); // the common case, no trim or regex needed
  if (plain !== null) return plain;
  const t = text.trim();
  if (NON_FINITE_RE.test(t)) fail('finite', where, `${field} is ${JSON.stringify(t)}: prices and volumes must be finite numbers`);
  try {
    return Decimal.parse(expandExponent(t) ?? t, field);
  } catch (e) {
    fail('schema', where, (e as Error).message);
  }
}

function intField(text: string | undefined, field: string, where: string): number {
  const t = text?.trim();
  if (t === undefined || !/^-?\d{1,16}$/.test(t)) fail(NON_FINITE_RE.test(t ?? '') ? 'finite' : 'schema', where, `${field}: expected an integer, got ${JSON.stringify(text)}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail('schema', where, `${field}: ${t} is out of range`);
  return n;
}

function guard<T>(fn: () => T): Parsed<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, violation: e.violation };
    throw e;
  }
}

/** Limit: a Unix time in seconds is at most this (year 3000). */
const SECONDS_MAX = 32_503_680_000;

/** Epoch seconds -> ms, refusing values that are plainly not seconds (ms or µs by mistake). */
function secondsToMs(s: number, field: string, where: string): number {
  if (s < 0 || s > SECONDS_MAX) fail('schema', where, `${field} ${s}: expected Unix seconds (1970..3000)`);
  return s * 1000;
}

/** Limit of the fast integer path: 15 digits are exact in a double. */
const PLAIN_INT_DIGITS_MAX = 15;

/** text[start, end) as a non-negative integer when it is 1..15 plain digits (leading zeros allowed, as intField), else -1. */
function plainUint(text: string, start: number, end: number): number {
  if (start >= end || end - start > PLAIN_INT_DIGITS_MAX) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/**
 * The fast path of parseKrakenOhlcvtLine: the row when all 7 fields are in their plain form
 * (digits; plain decimals; no spaces, exponents or signs on the integers), parsed in place
 * without splitting; null sends the row through the full checks (which name what is wrong).
 * Gives exactly what the full path gives for such a row (tested with fast-check).
 */
function plainKrakenOhlcvt(line: string, symbol: string, interval_s: number): MarketCandle | null {
  const c1 = line.indexOf(',');
  const c2 = line.indexOf(',', c1 + 1);
  const c3 = line.indexOf(',', c2 + 1);
  const c4 = line.indexOf(',', c3 + 1);
  const c5 = line.indexOf(',', c4 + 1);
  const c6 = line.indexOf(',', c5 + 1);
  if (c1 < 0 || c2 < 0 || c3 < 0 || c4 < 0 || c5 < 0 || c6 < 0 || line.indexOf(',', c6 + 1) >= 0) return null;
  const t = plainUint(line, 0, c1);
  if (t < 0 || t > SECONDS_MAX) return null;
  const open = Decimal.tryParsePlain(line, c1 + 1, c2);
  if (open === null) return null;
  const high = Decimal.tryParsePlain(line, c2 + 1, c3);
  if (high === null) return null;
  const low = Decimal.tryParsePlain(line, c3 + 1, c4);
  if (low === null) return null;
  const close = Decimal.tryParsePlain(line, c4 + 1, c5);
  if (close === null) return null;
  const volume = Decimal.tryParsePlain(line, c5 + 1, c6);
  if (volume === null) return null;
  const count = plainUint(line, c6 + 1, line.length);
  if (count < 0) return null;
  return { symbol, interval_s, open_time_ms: t * 1000, open, high, low, close, volume, vwap: null, count };
}

export function parseKrakenOhlcvtLine(line: string, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  const plain = plainKrakenOhlcvt(line, symbol, interval_s);
  if (plain !== null) return { ok: true, value: plain };
  return parseKrakenOhlcvtLineFull(line, where, symbol, interval_s);
}

/** parseKrakenOhlcvtLine without its fast path: every field through the full checks (the reference in tests). */
export function parseKrakenOhlcvtLineFull(line: string, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== 7) fail('schema', where, `expected 7 comma-separated fields (time,open,high,low,close,volume,trades), got ${f.length}`);
    return {
      symbol, interval_s,
      open_time_ms: secondsToMs(intField(f[0], 'time', where), 'time', where),
      open: decimalField(f[1], 'open', where), high: decimalField(f[2], 'high', where), low: decimalField(f[3], 'low', where),
      close: decimalField(f[4], 'close', where), volume: decimalField(f[5], 'volume', where), vwap: null,
      count: intField(f[6], 'trades', where),
    };
  });
}

/** Column positions of a generic OHLCV CSV, from its header row. */
export interface OhlcvColumns {
  time: number; open: number; high: number; low: number; close: number; volume: number; count: number | null; vwap: number | null; n: number;
}

export function parseOhlcvHeader(line: string, where: string): Parsed<OhlcvColumns> {
  return guard(() => {
    const names = line.split(',').map((s) => s.trim().toLowerCase());
    const find = (alts: string[], required: boolean): number | null => {
      const i = names.findIndex((n) => alts.includes(n));
      if (i < 0 && required) fail('schema', where, `header: no ${alts.join('|')} column (header is ${JSON.stringify(line)})`);
      return i < 0 ? null : i;
    };
    return {
      time: find(['open_time', 'time', 'timestamp', 'date', 'datetime'], true)!, open: find(['open'], true)!, high: find(['high'], true)!,
      low: find(['low'], true)!, close: find(['close'], true)!, volume: find(['volume', 'vol'], true)!,
      count: find(['trades', 'count', 'trade_count', 'number_of_trades'], false), vwap: find(['vwap'], false), n: names.length,
    };
  });
}

/** Time field: epoch seconds, epoch ms (13 digits) or ISO 8601 UTC. */
function timeField(text: string | undefined, where: string): number {
  const t = (text ?? '').trim();
  if (/^\d{1,11}$/.test(t)) return secondsToMs(Number(t), 'time', where);
  if (/^\d{12,14}$/.test(t)) return Number(t);
  const ms = parseIsoUtcMs(t);
  if (ms === null) fail('schema', where, `time ${JSON.stringify(t)}: expected Unix seconds, Unix ms or an ISO 8601 UTC time`);
  return ms;
}

export function parseOhlcvLine(line: string, where: string, cols: OhlcvColumns, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== cols.n) fail('schema', where, `expected ${cols.n} fields as in the header, got ${f.length}`);
    return {
      symbol, interval_s, open_time_ms: timeField(f[cols.time], where),
      open: decimalField(f[cols.open], 'open', where), high: decimalField(f[cols.high], 'high', where),
      low: decimalField(f[cols.low], 'low', where), close: decimalField(f[cols.close], 'close', where),
      volume: decimalField(f[cols.volume], 'volume', where),
      vwap: cols.vwap === null ? null : decimalField(f[cols.vwap], 'vwap', where),
      count: cols.count === null ? (decimalField(f[cols.volume], 'volume', where).isZero() ? 0 : null) : intField(f[cols.count], 'trades', where),
    };
  });
}

/** "1762795433.9717445" (seconds, optional fraction) -> integer microseconds (truncated). */
export function secondsTextToUs(text: string, where: string): number {
  const m = /^(\d{1,11})(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (!m) fail(NON_FINITE_RE.test(text.trim()) ? 'finite' : 'schema', where, `time ${JSON.stringify(text)}: expected Unix seconds with an optional fraction`);
  return Number(m[1]) * 1_000_000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
}

export function parseKrakenTradeLine(line: string, where: string): Parsed<Trade> {
  return guard(() => {
    const f = line.split(',');
    if (f.length !== 3) fail('schema', where, `expected 3 comma-separated fields (time,price,volume), got ${f.length}`);
    return { time_us: secondsTextToUs(f[0]!, where), price: decimalField(f[1], 'price', where), volume: decimalField(f[2], 'volume', where) };
  });
}

/** A JSON number as the text it was written with (shortest round-trip form; exact for Kraken's times). */
function numText(v: unknown, field: string, where: string): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('finite', where, `${field}: not a finite number`);
    const s = String(v);
    if (/e/i.test(s)) fail('schema', where, `${field}: ${s} is out of range`);
    return s;
  }
  if (typeof v === 'string') return v;
  return fail('schema', where, `${field}: expected a number, got ${JSON.stringify(v)}`);
}

export function parseRestOhlcRow(row: unknown, where: string, symbol: string, interval_s: number): Parsed<MarketCandle> {
  return guard(() => {
    if (!Array.isArray(row) || row.length !== 8) fail('schema', where, 'expected [time, open, high, low, close, vwap, volume, count]');
    const str = (i: number, field: string) => {
      if (typeof row[i] !== 'string') fail('schema', where, `${field}: expected a decimal string, got ${JSON.stringify(row[i])}`);
      return decimalField(row[i] as string, field, where);
    };
    return {
      symbol, interval_s, open_time_ms: secondsToMs(intField(numText(row[0], 'time', where), 'time', where), 'time', where),
      open: str(1, 'open'), high: str(2, 'high'), low: str(3, 'low'), close: str(4, 'close'), vwap: str(5, 'vwap'), volume: str(6, 'volume'),
      count: intField(numText(row[7], 'count', where), 'count', where),
    };
  });
}

export function parseRestTradeRow(row: unknown, where: string): Parsed<Trade> {
  return guard(() => {
    if (!Array.isArray(row) || (row.length !== 6 && row.length !== 7)) fail('schema', where, 'expected [price, volume, time, side, type, misc] or the same with a trade id');
    if (typeof row[0] !== 'string' || typeof row[1] !== 'string') fail('schema', where, 'price and volume must be decimal strings');
    return { time_us: secondsTextToUs(numText(row[2], 'time', where), where), price: decimalField(row[0], 'price', where), volume: decimalField(row[1], 'volume', where) };
  });
}
